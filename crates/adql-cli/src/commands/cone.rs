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
    after_help = "Exit status: 0 on success, 4 when the service or the network failed, 2 for a usage error."
)]
pub(crate) struct ConeArgs {
    /// The cone search URL (it may carry its own parameters, e.g. `...?CAT=x&`).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// Right ascension of the centre (ICRS degrees).
    #[arg(value_name = "RA", allow_negative_numbers = true)]
    pub(crate) ra: f64,
    /// Declination of the centre (ICRS degrees).
    #[arg(value_name = "DEC", allow_negative_numbers = true)]
    pub(crate) dec: f64,
    /// Search radius (degrees).
    #[arg(value_name = "SR")]
    pub(crate) sr: f64,
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
    let progress = Progress::new();
    crate::interrupt::block_on(&runtime()?, async {
        let cone = ConeSearch::new(http_client()?, &args.url)?;
        let result = cone.search(args.ra, args.dec, args.sr, verb).await?;
        write_result(result, &args.out, ctx, &progress).await
    })
}
