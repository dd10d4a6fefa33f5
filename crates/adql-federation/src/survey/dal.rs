//! The survey of one service that is not TAP: a cone search, an SIA or SSA query whose records are
//! counted up to the cap (a longer answer is read no further), or one Mashup page whose paging says how
//! many CAOM observations meet the cone.

use futures::StreamExt;
use url::Url;
use vo_client::dal::{DalQuery, DalService};
use vo_client::mashup::{MashupRequest, MastClient};
use vo_client::scs::{ConeSearch, Verbosity};
use vo_client::sia::{SiaPos, SiaQuery};
use vo_client::ssa::SsaQuery;
use vo_client::{HttpClient, QueryResult};

use super::{Finding, Survey, kind_name};
use crate::catalogue::{ServiceConfig, ServiceKind};
use crate::engine::Engine;
use crate::error::{FederationError, Result};
use datafusion::arrow::array::RecordBatch;

/// The Mashup service a survey asks.
const MASHUP_SERVICE: &str = "Mast.Caom.Filtered.Position";

fn remote(config: &ServiceConfig, e: impl std::fmt::Display) -> FederationError {
    crate::sources::remote(&config.name, &config.url, e)
}

/// `base` with `params` added to its query.
fn with_params(base: &str, params: &[(String, String)]) -> String {
    match Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

/// The finding of `config` (a cone search, SIA, SSA or Mashup service).
pub(super) async fn survey(
    engine: &Engine,
    config: &ServiceConfig,
    survey: &Survey,
) -> Result<Vec<Finding>> {
    let http = engine.http().ok_or_else(|| {
        remote(
            config,
            "this engine has no HTTP client (build it with Engine::new, from_env or with_http)",
        )
    })?;
    let ra = survey.ra.rem_euclid(360.0);
    let cap = survey.cap.max(1);
    let (access, resource, answer) = match config.kind {
        ServiceKind::ConeSearch => {
            let verb = if survey.rows {
                Verbosity::Default
            } else {
                Verbosity::Minimal
            };
            let params = ConeSearch::params(ra, survey.dec, survey.radius, Some(verb))
                .map_err(|e| remote(config, e))?;
            let client = ConeSearch::new(http.clone(), &config.url)
                .map_err(|e| remote(config, e))?
                .with_name(&config.name);
            let answer = client
                .search(ra, survey.dec, survey.radius, Some(verb))
                .await;
            (with_params(&config.url, &params), "cone", answer)
        }
        ServiceKind::Sia => {
            let query = SiaQuery {
                pos: vec![SiaPos::Circle {
                    ra,
                    dec: survey.dec,
                    radius: survey.radius,
                }],
                maxrec: Some(cap),
                ..SiaQuery::default()
            };
            let params = query.params().map_err(|e| remote(config, e))?;
            let service = DalService::<SiaQuery>::new(http.clone(), &config.url)
                .map_err(|e| remote(config, e))?;
            let answer = service.search(&query).await;
            (with_params(&config.url, &params), "images", answer)
        }
        ServiceKind::Ssa => {
            let query = SsaQuery {
                pos: Some((ra, survey.dec)),
                // SSA's SIZE is the diameter of the region.
                size: Some(2.0 * survey.radius),
                maxrec: Some(cap),
                ..SsaQuery::default()
            };
            let params = query.params().map_err(|e| remote(config, e))?;
            let service = DalService::<SsaQuery>::new(http.clone(), &config.url)
                .map_err(|e| remote(config, e))?;
            let answer = service.search(&query).await;
            (with_params(&config.url, &params), "spectra", answer)
        }
        ServiceKind::Mashup => return mashup(http, config, survey).await,
        ServiceKind::Tap | ServiceKind::DataLink => return Ok(Vec::new()),
    };
    let answer = answer.map_err(|e| remote(config, e))?;
    let (rows, exact, batches) = count(answer, cap, survey.rows)
        .await
        .map_err(|e| remote(config, e))?;
    Ok(vec![Finding {
        service: config.name.clone(),
        kind: kind_name(config.kind),
        resource: resource.to_owned(),
        rows: Some(rows),
        exact,
        access,
        error: None,
        batches,
    }])
}

/// The records of `answer` counted up to `cap` (read no further), whether that is all of them, and the
/// records themselves when `keep`.
async fn count(
    mut answer: QueryResult,
    cap: u64,
    keep: bool,
) -> vo_client::Result<(u64, bool, Vec<RecordBatch>)> {
    let (rows, batches) = first_rows(&mut answer, cap, keep).await?;
    if rows >= cap {
        return Ok((rows, false, batches));
    }
    let truncated = answer.completeness().is_some_and(|c| c.is_truncated());
    Ok((rows, !truncated, batches))
}

/// The first `cap` records of `stream` (read no further): how many there are, and themselves when `keep`.
async fn first_rows(
    stream: &mut (impl futures::Stream<Item = vo_client::Result<RecordBatch>> + Unpin),
    cap: u64,
    keep: bool,
) -> vo_client::Result<(u64, Vec<RecordBatch>)> {
    let (mut rows, mut batches) = (0u64, Vec::new());
    while rows < cap {
        let Some(batch) = stream.next().await else {
            break;
        };
        let batch = batch?;
        let take = (cap - rows).min(batch.num_rows() as u64);
        rows += take;
        if keep && take > 0 {
            batches.push(batch.slice(0, usize::try_from(take).unwrap_or(usize::MAX)));
        }
    }
    Ok((rows, batches))
}

/// The CAOM observations whose footprint meets the cone, from the paging of a one-row Mashup page (all
/// of them, up to the cap, with [`Survey::rows`]).
async fn mashup(
    http: &HttpClient,
    config: &ServiceConfig,
    survey: &Survey,
) -> Result<Vec<Finding>> {
    let client = MastClient::with_url(http.clone(), &config.url).map_err(|e| remote(config, e))?;
    let request = MashupRequest::new(MASHUP_SERVICE)
        .param("columns", "*")
        .param("filters", serde_json::Value::Array(Vec::new()))
        .param(
            "position",
            format!(
                "{}, {}, {}",
                survey.ra.rem_euclid(360.0),
                survey.dec,
                survey.radius
            ),
        );
    let access = format!(
        "{} service={MASHUP_SERVICE} params={}",
        config.url,
        serde_json::Value::Object(request.params.clone())
    );
    let cap = survey.cap.max(1);
    let total = client
        .count(request.clone())
        .await
        .map_err(|e| remote(config, e))?;
    let batches = if survey.rows && total > 0 {
        first_rows(&mut client.query_pages(request), cap, true)
            .await
            .map_err(|e| remote(config, e))?
            .1
    } else {
        Vec::new()
    };
    Ok(vec![Finding {
        service: config.name.clone(),
        kind: "mashup",
        resource: "caom.observations".to_owned(),
        rows: Some(total.min(cap)),
        exact: total <= cap,
        access,
        error: None,
        batches,
    }])
}
