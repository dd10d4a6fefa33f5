//! `adql mashup`: call a MAST Mashup service (all pages, long polling, filters, positions).

use std::process::ExitCode;

use serde_json::Value;
use vo_client::mashup::{DEFAULT_MASHUP_URL, Filter, MashupRequest, MastClient};

use crate::commands::Context;
use crate::commands::sia::{circle, key_value};
use crate::commands::tap::{http_client, runtime, write_result};
use crate::output::OutputArgs;
use crate::progress::Progress;
use crate::{Error, Result};

/// Arguments of `adql mashup`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Filters (for the *.Filtered* services): COL=V1,V2 (exact values), COL=MIN..MAX (a range), COL=%text% \
(free text with % wildcards). The MAST token comes from MAST_API_TOKEN or the configuration file.

Exit status: 0 on success, 4 when the service or the network failed, 2 for a usage error.")]
pub(crate) struct MashupArgs {
    /// The service, e.g. Mast.Caom.Cone or Mast.Caom.Filtered.Position.
    #[arg(value_name = "SERVICE")]
    pub(crate) service: String,
    /// A service parameter (repeatable); V is read as JSON when it is a number, boolean or
    /// array/object, else as a string.
    #[arg(long = "param", value_name = "K=V")]
    pub(crate) params: Vec<String>,
    /// A filter (repeatable).
    #[arg(long = "filter", value_name = "COL=VALUES")]
    pub(crate) filters: Vec<String>,
    /// A cone RA,DEC,R (degrees, or h:m:s and d:m:s) or NAME,R (an object name, resolved first).
    #[arg(long, value_name = "RA,DEC,R", allow_hyphen_values = true)]
    pub(crate) position: Option<String>,
    /// Rows per page.
    #[arg(long, default_value_t = 50_000)]
    pub(crate) pagesize: u64,
    /// The Mashup endpoint.
    #[arg(long, default_value = DEFAULT_MASHUP_URL)]
    pub(crate) url: String,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

/// Runs `adql mashup`.
pub(crate) fn exec(args: MashupArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let mut req = MashupRequest::new(&args.service);
    req.pagesize = args.pagesize;
    for p in &args.params {
        let (k, v) = key_value(p)?;
        let value = match serde_json::from_str::<Value>(&v) {
            Ok(j @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_))) => j,
            _ => Value::String(v),
        };
        req = req.param(&k, value);
    }
    if !args.filters.is_empty() {
        let filters = args
            .filters
            .iter()
            .map(|f| f.parse::<Filter>().map_err(Error::from))
            .collect::<Result<Vec<_>>>()?;
        req = req.filters(&filters);
    }
    let position = args.position.as_deref().map(circle).transpose()?;
    let progress = Progress::new();
    progress.message(&format!("{} …", args.service));
    crate::interrupt::block_on(&runtime()?, async {
        if let Some((target, r)) = &position {
            let (ra, dec) = crate::position::target(target, &args.url).await?;
            req = req.position(ra, dec, *r);
        }
        let client = MastClient::with_url(http_client()?, &args.url)?;
        let result = client.query_all(req).await?;
        write_result(result, &args.out, ctx, &progress).await
    })
}
