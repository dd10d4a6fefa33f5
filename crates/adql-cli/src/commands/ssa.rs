//! `adql ssa`: a Simple Spectral Access query.

use std::process::ExitCode;

use vo_client::ssa::{SsaQuery, SsaService};

use crate::commands::Context;
use crate::commands::sia::{DalArgs, key_value};
use crate::commands::tap::{http_client, runtime, write_result};
use crate::output::OutputArgs;
use crate::progress::Progress;
use crate::{Error, Result};

/// Arguments of `adql ssa`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 on success, 3 when the service truncated the result at MAXREC, 4 when \
the service or the network failed, 2 for a usage error."
)]
pub(crate) struct SsaArgs {
    /// The SSA service URL.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// POS: RA,DEC in ICRS degrees.
    #[arg(long, value_name = "RA,DEC", allow_hyphen_values = true)]
    pub(crate) pos: Option<String>,
    /// SIZE: diameter of the search region in degrees.
    #[arg(long)]
    pub(crate) size: Option<f64>,
    /// BAND: LO/HI in metres (either side may be empty).
    #[arg(long, value_name = "LO/HI")]
    pub(crate) band: Option<String>,
    /// TIME: START/END in ISO 8601 (either side may be empty).
    #[arg(long, value_name = "START/END")]
    pub(crate) time: Option<String>,
    /// The FORMAT parameter of SSA (votable, fits, all, ...).
    #[arg(long = "ssa-format", value_name = "FORMAT")]
    pub(crate) ssa_format: Option<String>,
    /// MAXREC and further parameters.
    #[command(flatten)]
    pub(crate) dal: DalArgs,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

/// Runs `adql ssa`.
pub(crate) fn exec(args: SsaArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let mut q = SsaQuery {
        size: args.size,
        format: args.ssa_format,
        maxrec: args.dal.maxrec,
        ..SsaQuery::default()
    };
    if let Some(pos) = &args.pos {
        let bad = || Error::Usage(format!("expected RA,DEC, got '{pos}'"));
        let (ra, dec) = pos.split_once(',').ok_or_else(bad)?;
        q.pos = Some((
            ra.trim().parse().map_err(|_| bad())?,
            dec.trim().parse().map_err(|_| bad())?,
        ));
    }
    if let Some(band) = &args.band {
        let bad = || Error::Usage(format!("expected LO/HI, got '{band}'"));
        let (lo, hi) = band.split_once('/').ok_or_else(bad)?;
        let num = |s: &str| {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                s.trim().parse::<f64>().map(Some).map_err(|_| bad())
            }
        };
        q.band = Some((num(lo)?, num(hi)?));
    }
    if let Some(time) = &args.time {
        let (start, end) = time
            .split_once('/')
            .ok_or_else(|| Error::Usage(format!("expected START/END, got '{time}'")))?;
        let part = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        q.time = Some((part(start), part(end)));
    }
    for p in &args.dal.params {
        q.extra.push(key_value(p)?);
    }
    let progress = Progress::new();
    crate::interrupt::block_on(&runtime()?, async {
        let service = SsaService::new(http_client()?, &args.url)?;
        let result = service.search(&q).await?;
        write_result(result, &args.out, ctx, &progress).await
    })
}
