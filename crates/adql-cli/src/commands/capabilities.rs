//! `adql capabilities`: what a TAP service declares (VOSI capabilities with TAPRegExt).

use std::process::ExitCode;

use vo_client::tap::TapService;
use vo_client::vosi::{Limit, LimitUnit};

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime};
use crate::{Error, Result};

/// Arguments of `adql capabilities`.
#[derive(Debug, clap::Args)]
pub(crate) struct CapabilitiesArgs {
    /// The TAP service's base URL.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
}

fn limit(l: &Limit) -> String {
    let one = |v: Option<vo_client::vosi::LimitValue>| match v {
        None => "-".to_owned(),
        Some(v) => {
            let unit = match v.unit {
                LimitUnit::Rows => "rows",
                LimitUnit::Bytes => "bytes",
                LimitUnit::Seconds => "s",
            };
            format!("{} {unit}", v.value)
        }
    };
    format!("default {}, hard {}", one(l.default), one(l.hard))
}

/// Runs `adql capabilities`.
pub(crate) fn exec(args: CapabilitiesArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let caps = crate::interrupt::block_on(&runtime()?, async {
        Ok::<_, Error>(
            TapService::new(http_client()?, &args.url)?
                .capabilities()
                .await?,
        )
    })?;
    let out = &mut *ctx.out;
    let mut w = |line: String| writeln!(out, "{line}").map_err(Error::Output);
    let Some(tap) = &caps.tap else {
        w("the service declares no TAP capability".to_owned())?;
        return Ok(ExitCode::SUCCESS);
    };
    for lang in &tap.languages {
        let versions: Vec<&str> = lang.versions.iter().map(|(v, _)| v.as_str()).collect();
        w(format!("language: {} {}", lang.name, versions.join(", ")))?;
        let mut kinds: Vec<String> = lang.features.iter().map(|f| f.kind()).collect();
        kinds.dedup();
        for kind in kinds {
            let forms: Vec<&str> = lang
                .features
                .iter()
                .filter(|f| f.kind() == kind)
                .map(|f| f.form.as_str())
                .collect();
            if kind == "features-udf" {
                w(format!("  {kind}:"))?;
                for f in forms {
                    w(format!("    {f}"))?;
                }
            } else {
                w(format!("  {kind}: {}", forms.join(" ")))?;
            }
        }
    }
    let formats: Vec<String> = tap
        .output_formats
        .iter()
        .map(|f| f.aliases.first().cloned().unwrap_or_else(|| f.mime.clone()))
        .collect();
    w(format!("output formats: {}", formats.join(", ")))?;
    let uploads: Vec<&str> = tap
        .upload_methods
        .iter()
        .map(|m| m.rsplit_once('#').map_or(m.as_str(), |(_, k)| k))
        .collect();
    w(format!(
        "upload methods: {}",
        if uploads.is_empty() {
            "none".to_owned()
        } else {
            uploads.join(", ")
        }
    ))?;
    w(format!("output limit: {}", limit(&tap.output_limit)))?;
    w(format!("upload limit: {}", limit(&tap.upload_limit)))?;
    w(format!(
        "execution duration: {}",
        limit(&tap.execution_duration)
    ))?;
    w(format!(
        "retention period: {}",
        limit(&tap.retention_period)
    ))?;
    Ok(ExitCode::SUCCESS)
}
