//! `adql sia`: a Simple Image Access 2.0 query.

use std::process::ExitCode;

use vo_client::sia::{SiaPos, SiaQuery, SiaService};

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime, write_result};
use crate::output::OutputArgs;
use crate::progress::Progress;
use crate::{Error, Result};

/// Arguments of `adql sia`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Repeated options are OR-ed, different options AND-ed. Intervals are LO..HI. \
Exit status: 0 on success, 3 when the service truncated the result at MAXREC, 4 when the service or the \
network failed, 2 for a usage error."
)]
pub(crate) struct SiaArgs {
    /// The SIA 2.0 query endpoint (e.g. `.../sia2/query`).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// A circle RA,DEC,R (degrees, or h:m:s and d:m:s) or NAME,R (an object name), repeatable.
    #[arg(long, value_name = "RA,DEC,R", allow_hyphen_values = true)]
    pub(crate) circle: Vec<String>,
    /// The name resolver (MAST Mashup) for object names.
    #[arg(long, value_name = "URL", default_value = vo_client::mashup::DEFAULT_MASHUP_URL)]
    pub(crate) resolver: String,
    /// A wavelength interval in metres (repeatable).
    #[arg(long, value_name = "LO..HI")]
    pub(crate) band: Vec<String>,
    /// A time interval in MJD (repeatable).
    #[arg(long, value_name = "LO..HI")]
    pub(crate) time: Vec<String>,
    /// COLLECTION (repeatable).
    #[arg(long)]
    pub(crate) collection: Vec<String>,
    /// INSTRUMENT (repeatable).
    #[arg(long)]
    pub(crate) instrument: Vec<String>,
    /// DPTYPE: image or cube (repeatable).
    #[arg(long)]
    pub(crate) dptype: Vec<String>,
    /// MAXREC and further parameters.
    #[command(flatten)]
    pub(crate) dal: DalArgs,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

/// `LO..HI` of `--band` and `--time`; an empty side is unbounded.
pub(crate) fn interval(text: &str) -> Result<(f64, f64)> {
    let bad = || Error::Usage(format!("expected LO..HI with numbers, got '{text}'"));
    let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
    let num = |s: &str| match s.trim() {
        "" | "-Inf" | "-inf" => Ok(f64::NEG_INFINITY),
        "+Inf" | "Inf" | "inf" => Ok(f64::INFINITY),
        s => s.parse::<f64>().map_err(|_| bad()),
    };
    let lo = num(lo)?;
    let hi = match hi.trim() {
        "" => f64::INFINITY,
        _ => num(hi)?,
    };
    Ok((lo, hi))
}

/// The flags SIA and SSA share.
#[derive(Debug, clap::Args)]
pub(crate) struct DalArgs {
    /// MAXREC.
    #[arg(long, value_name = "N")]
    pub(crate) maxrec: Option<u64>,
    /// Any further parameter (repeatable).
    #[arg(long = "param", value_name = "K=V")]
    pub(crate) params: Vec<String>,
}

/// `RA,DEC,R` (or `NAME,R`) of `--circle` and `--position`: the position's text and the radius (degrees,
/// checked). The position may be decimal, sexagesimal (`00:42:44.3,+41:16:09,0.1`) or an object name.
pub(crate) fn circle(text: &str) -> Result<(String, f64)> {
    let expected =
        |why: String| Error::Usage(format!("expected RA,DEC,R or NAME,R, got '{text}'{why}"));
    let (position, r) = text
        .rsplit_once(',')
        .ok_or_else(|| expected(String::new()))?;
    if let Err(error @ adql_geom::PositionError::Invalid { .. }) =
        adql_geom::parse_position(position)
    {
        return Err(expected(format!(": {error}")));
    }
    Ok((position.trim().to_owned(), crate::position::radius(r)?))
}

/// `K=V` of `--param`.
pub(crate) fn key_value(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(Error::Usage(format!("expected K=V, got '{text}'"))),
    }
}

/// Runs `adql sia`.
pub(crate) fn exec(args: SiaArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let mut q = SiaQuery {
        collection: args.collection,
        instrument: args.instrument,
        dptype: args.dptype,
        maxrec: args.dal.maxrec,
        ..SiaQuery::default()
    };
    let circles = args
        .circle
        .iter()
        .map(|c| circle(c))
        .collect::<Result<Vec<_>>>()?;
    for b in &args.band {
        q.band.push(interval(b)?);
    }
    for t in &args.time {
        q.time.push(interval(t)?);
    }
    for p in &args.dal.params {
        q.extra.push(key_value(p)?);
    }
    let progress = Progress::new();
    crate::interrupt::block_on(&runtime()?, async {
        for (position, radius) in &circles {
            let (ra, dec) = crate::position::target(position, &args.resolver).await?;
            q.pos.push(SiaPos::Circle {
                ra,
                dec,
                radius: *radius,
            });
        }
        let service = SiaService::new(http_client()?, &args.url)?;
        let result = service.search(&q).await?;
        write_result(result, &args.out, ctx, &progress).await
    })
}
