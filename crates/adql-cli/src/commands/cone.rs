//! `adql cone`: a Simple Cone Search.

use std::process::ExitCode;

use vo_client::scs::{ConeSearch, Verbosity};

use crate::Result;
use crate::commands::Context;
use crate::commands::tap::{http_client, runtime, write_result};
use crate::output::OutputArgs;
use crate::progress::Progress;

/// Arguments of `adql cone`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples: adql cone URL 10.684 41.269 0.1; adql cone URL 00:42:44.3 +41:16:09 0.1; \
adql cone URL M31 0.1. Exit status: 0 on success, 4 when the service or the network failed, 2 for a usage \
error (a declination beyond 90, a radius outside ]0, 180], a name no resolver knows)."
)]
pub(crate) struct ConeArgs {
    /// The cone search URL (it may carry its own parameters, e.g. `...?CAT=x&`).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// Right ascension (degrees, or h:m:s such as `00:42:44.3`), or an object name (`M31`, `"TIC 307210830"`).
    #[arg(value_name = "RA|NAME")]
    pub(crate) first: String,
    /// Declination (degrees, or d:m:s such as `-41:16:09`; negative values are values, not flags),
    /// or, after a name, the radius.
    #[arg(value_name = "DEC|SR", allow_hyphen_values = true)]
    pub(crate) second: String,
    /// The search radius in degrees, after RA and DEC.
    #[arg(value_name = "SR")]
    pub(crate) third: Option<String>,
    /// The name resolver (MAST Mashup) for object names.
    #[arg(long, value_name = "URL", default_value = vo_client::mashup::DEFAULT_MASHUP_URL)]
    pub(crate) resolver: String,
    /// Verbosity: 1 (fewest columns), 2, 3 (all columns).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub(crate) verb: Option<u8>,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

/// Runs `adql cone`.
pub(crate) fn exec(args: ConeArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let verb = args.verb.map(|v| match v {
        1 => Verbosity::Minimal,
        2 => Verbosity::Default,
        _ => Verbosity::Full,
    });
    let (position, sr) = match &args.third {
        Some(sr) => (format!("{} {}", args.first, args.second), sr),
        None => (args.first.clone(), &args.second),
    };
    let sr = crate::position::radius(sr)?;
    let progress = Progress::new();
    crate::interrupt::block_on(&runtime()?, async {
        let (ra, dec) = crate::position::target(&position, &args.resolver).await?;
        let cone = ConeSearch::new(http_client()?, &args.url)?;
        let result = cone.search(ra, dec, sr, verb).await?;
        write_result(result, &args.out, ctx, &progress).await
    })
}
