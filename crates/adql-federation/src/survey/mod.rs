//! [`Engine::survey`]: what every configured service holds around one position — HEASARC's DataScope as
//! one call.
//!
//! Every service is asked at once (at most [`Survey::concurrency`] at a time, each within
//! [`Survey::timeout`]):
//!
//! * a TAP service: every table whose VOSI metadata marks a main position (UCDs `pos.eq.ra;meta.main` and
//!   `pos.eq.dec;meta.main`, or ObsCore's `s_ra`/`s_dec`) gets a cone count capped at [`Survey::cap`] —
//!   all of them in one `UNION ALL` request when the service declares `UNION`, else one request per table
//!   ([`tap`]);
//! * a cone-search, SIA or SSA service: one query, its records counted up to the cap; the MAST Mashup:
//!   one `Mast.Caom.Filtered.Position` page of one row, whose paging says how many observations'
//!   footprints meet the cone ([`dal`]).
//!
//! Each table or service is one [`Finding`]: its rows (exact, or "at least" the cap), the ADQL or URL
//! that returns them, or the reason it failed — a failed or timed-out service is reported, never dropped.
//! With [`Survey::rows`] the rows themselves come back too.

mod dal;
mod tap;

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use futures::StreamExt;

use crate::catalogue::{ServiceConfig, ServiceKind};
use crate::engine::Engine;
use crate::error::{FederationError, Result};

/// What to survey: a cone, the services and kinds asked, and the limits.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Centre right ascension, degrees (ICRS).
    pub ra: f64,
    /// Centre declination, degrees.
    pub dec: f64,
    /// Radius, degrees.
    pub radius: f64,
    /// Only these services (by name); empty: every service of the catalogue.
    pub services: Vec<String>,
    /// Only services of these kinds; empty: every kind.
    pub kinds: Vec<ServiceKind>,
    /// Rows counted per table or service at most: beyond, the finding says "at least" this many.
    pub cap: u64,
    /// Tables with a main position asked per TAP service at most (the others are one finding saying how
    /// many were left out).
    pub max_tables: usize,
    /// Longest time one service may take (all its requests).
    pub timeout: Duration,
    /// Services asked at once.
    pub concurrency: usize,
    /// Return the rows (at most `cap` per table or service), not only their counts.
    pub rows: bool,
}

impl Survey {
    /// A survey of the cone (`ra`, `dec`, `radius`, degrees) over every service, counting to 10 000 rows in
    /// at most 100 tables per TAP service, 60 s per service, 8 services at once.
    pub fn new(ra: f64, dec: f64, radius: f64) -> Self {
        Self {
            ra,
            dec,
            radius,
            services: Vec::new(),
            kinds: Vec::new(),
            cap: 10_000,
            max_tables: 100,
            timeout: Duration::from_secs(60),
            concurrency: 8,
            rows: false,
        }
    }

    fn check(&self) -> Result<()> {
        let valid = self.ra.is_finite()
            && self.dec.is_finite()
            && (-90.0..=90.0).contains(&self.dec)
            && self.radius > 0.0
            && self.radius <= 180.0;
        if valid {
            Ok(())
        } else {
            Err(FederationError::InvalidSurvey {
                message: format!(
                    "survey cone RA {} Dec {} radius {}: Dec must be in [-90, 90] and the radius in ]0, 180] degrees",
                    self.ra, self.dec, self.radius
                ),
            })
        }
    }
}

/// What one table or service holds in the cone.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The service's name.
    pub service: String,
    /// Its protocol: `tap`, `scs`, `sia`, `ssa`, `mashup`.
    pub kind: &'static str,
    /// The table (`schema.table`) for a TAP service; the service's resource otherwise.
    pub resource: String,
    /// Rows found: exactly, or at least this many when `exact` is false; `None` when it failed.
    pub rows: Option<u64>,
    /// Whether `rows` is the whole count (false: the count stopped at the cap).
    pub exact: bool,
    /// The ADQL (TAP: `service.schema.table` as `adql query` takes it) or the URL that returns the rows.
    pub access: String,
    /// Why the table or service gave no answer.
    pub error: Option<String>,
    /// The rows themselves, with [`Survey::rows`] (at most the cap).
    pub batches: Vec<RecordBatch>,
}

impl Finding {
    fn failed(config: &ServiceConfig, kind: &'static str, access: String, error: String) -> Self {
        Finding {
            service: config.name.clone(),
            kind,
            resource: String::new(),
            rows: None,
            exact: false,
            access,
            error: Some(error),
            batches: Vec::new(),
        }
    }
}

/// The protocol name of a service kind in findings.
fn kind_name(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Tap => "tap",
        ServiceKind::ConeSearch => "scs",
        ServiceKind::Sia => "sia",
        ServiceKind::Ssa => "ssa",
        ServiceKind::Mashup => "mashup",
        ServiceKind::DataLink => "datalink",
    }
}

impl Engine {
    /// Surveys the cone of `survey` over the catalogue's services (see the [module](self)): one finding per
    /// table (TAP) or service, sorted by service then resource; services that fail or time out are
    /// findings with their error. DataLink services hold no positions and are not asked.
    ///
    /// # Errors
    /// An invalid cone, or a service named in [`Survey::services`] that the catalogue does not have.
    pub async fn survey(&self, survey: &Survey) -> Result<Vec<Finding>> {
        survey.check()?;
        let configs: Vec<ServiceConfig> = if survey.services.is_empty() {
            self.catalogue().services().cloned().collect()
        } else {
            survey
                .services
                .iter()
                .map(|name| self.catalogue().get(name).cloned())
                .collect::<Result<_>>()?
        };
        let asked: Vec<ServiceConfig> = configs
            .into_iter()
            .filter(|c| c.kind != ServiceKind::DataLink)
            .filter(|c| survey.kinds.is_empty() || survey.kinds.contains(&c.kind))
            .collect();
        let mut findings: Vec<Finding> = futures::stream::iter(asked)
            .map(|config| async move {
                let kind = kind_name(config.kind);
                let work = async {
                    match config.kind {
                        ServiceKind::Tap => tap::survey(self, &config, survey).await,
                        _ => dal::survey(self, &config, survey).await,
                    }
                };
                match tokio::time::timeout(survey.timeout, work).await {
                    Ok(Ok(found)) => found,
                    Ok(Err(e)) => vec![Finding::failed(
                        &config,
                        kind,
                        config.url.clone(),
                        e.to_string(),
                    )],
                    Err(_) => vec![Finding::failed(
                        &config,
                        kind,
                        config.url.clone(),
                        format!("no answer within {} s", survey.timeout.as_secs_f64()),
                    )],
                }
            })
            .buffer_unordered(survey.concurrency.max(1))
            .flat_map(futures::stream::iter)
            .collect()
            .await;
        findings.sort_by(|a, b| (&a.service, &a.resource).cmp(&(&b.service, &b.resource)));
        Ok(findings)
    }
}

/// Findings as one table: `service`, `kind`, `resource`, `rows`, `exact`, `access`, `error`.
///
/// # Errors
/// None in practice (the columns are built to the schema).
pub fn findings_batch(findings: &[Finding]) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&Finding) -> Option<String>| -> ArrayRef {
        Arc::new(findings.iter().map(f).collect::<StringArray>())
    };
    let described = |name: &str, data_type: DataType, text: &str| {
        Field::new(name, data_type, true).with_metadata(
            [("description".to_owned(), text.to_owned())]
                .into_iter()
                .collect(),
        )
    };
    let schema = Arc::new(Schema::new(vec![
        described("service", DataType::Utf8, "Service name"),
        described(
            "kind",
            DataType::Utf8,
            "Protocol: tap, scs, sia, ssa, mashup",
        ),
        described("resource", DataType::Utf8, "Table (TAP) or resource"),
        described(
            "rows",
            DataType::UInt64,
            "Rows found in the cone (at least, when exact is false)",
        ),
        described(
            "exact",
            DataType::Boolean,
            "Whether rows is the whole count",
        ),
        described(
            "access",
            DataType::Utf8,
            "The ADQL or URL that returns the rows",
        ),
        described("error", DataType::Utf8, "Why there is no answer"),
    ]));
    let columns: Vec<ArrayRef> = vec![
        text(&|f| Some(f.service.clone())),
        text(&|f| Some(f.kind.to_owned())),
        text(&|f| Some(f.resource.clone())),
        Arc::new(findings.iter().map(|f| f.rows).collect::<UInt64Array>()),
        Arc::new(
            findings
                .iter()
                .map(|f| f.rows.map(|_| f.exact))
                .collect::<BooleanArray>(),
        ),
        text(&|f| Some(f.access.clone())),
        text(&|f| f.error.clone()),
    ];
    RecordBatch::try_new(schema, columns)
        .map_err(|e| FederationError::DataFusion(datafusion::error::DataFusionError::from(e)))
}
