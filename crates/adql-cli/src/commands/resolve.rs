//! `adql resolve`: object name → coordinates with MAST's name resolver.

use std::process::ExitCode;

use vo_client::mashup::{DEFAULT_MASHUP_URL, MastClient};

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime};
use crate::{Error, Result};

/// Arguments of `adql resolve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Prints one line per resolver: resolver, canonical name, RA, Dec (degrees), object type. \
Exit status: 0 when the name was resolved, 1 when no resolver knows it, 4 when the service or the network failed."
)]
pub(crate) struct ResolveArgs {
    /// The object name, e.g. "M 31" or "TIC 307210830".
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    /// The Mashup endpoint.
    #[arg(long, default_value = DEFAULT_MASHUP_URL)]
    pub(crate) url: String,
}

/// Runs `adql resolve`.
pub(crate) fn exec(args: ResolveArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let found = crate::interrupt::block_on(&runtime()?, async {
        Ok::<_, Error>(
            MastClient::with_url(http_client()?, &args.url)?
                .resolve(&args.name)
                .await?,
        )
    })?;
    if found.is_empty() {
        eprintln!("adql: no resolver knows '{}'", args.name);
        return Ok(ExitCode::from(1));
    }
    for f in &found {
        writeln!(
            ctx.out,
            "{}\t{}\t{}\t{}\t{}",
            f.resolver,
            f.canonical_name.as_deref().unwrap_or(""),
            f.ra,
            f.dec,
            f.object_type.as_deref().unwrap_or("")
        )
        .map_err(Error::Output)?;
    }
    Ok(ExitCode::SUCCESS)
}
