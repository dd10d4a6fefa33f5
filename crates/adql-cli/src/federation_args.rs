//! The flags of `adql query` and `adql explain` that reach remote archives, and the [`Engine`] they build.
//!
//! Services come from the built-in catalogue, the user's configuration file, `--config FILE` and
//! `--service NAME=URL`, in that order (later entries replace earlier ones of the same name). A query names
//! a remote table as `service.schema.table` (or `service.table`, `schema.table` where unambiguous); only
//! the services a query names are contacted.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adql_federation::OverflowPolicy;
use adql_federation::ProgressSink;
use adql_federation::RemoteRequest;
use adql_federation::{Catalogue, LoadOptions};
use adql_federation::{Engine, EngineOptions, FederationError};

use crate::syntax_args::SyntaxArgs;
use crate::{Error, Result};

/// Flags choosing the services and how they are queried.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FederationArgs {
    /// Add or replace a TAP service (repeatable); its tables are then `NAME.schema.table`.
    #[arg(long = "service", value_name = "NAME=URL")]
    pub(crate) services: Vec<String>,
    /// Read services from this TOML file (repeatable), after the user's configuration file.
    #[arg(long = "config", value_name = "FILE")]
    pub(crate) configs: Vec<PathBuf>,
    /// Do not read the user's configuration file.
    #[arg(long = "no-user-config")]
    pub(crate) no_user_config: bool,
    /// MAXREC sent with every remote query (a remote part that reaches it is never silently short).
    #[arg(long, value_name = "ROWS")]
    pub(crate) maxrec: Option<u64>,
    /// What a remote part that reaches MAXREC does: `split` fetches it again in pieces under MAXREC,
    /// `fail` stops with exit status 3. A service's own `overflow` setting wins.
    #[arg(long = "on-overflow", value_name = "POLICY", default_value = "split",
          value_parser = parse_overflow)]
    pub(crate) on_overflow: OverflowPolicy,
    /// Refuse a remote part that would fetch more rows than this when nothing in the query bounds it
    /// (exit status 3; a positional constraint, a filter, a TOP or a smaller side to join with bounds it).
    /// A service's own `max_remote_rows` setting wins; `0` means no limit.
    #[arg(long = "max-remote-rows", value_name = "ROWS", default_value_t = adql_federation::DEFAULT_MAX_REMOTE_ROWS)]
    pub(crate) max_remote_rows: u64,
    /// Keep remote answers in the result cache and reuse them for this many hours (`--cache=HOURS`;
    /// 24 with `--cache` alone): the same ADQL, MAXREC and uploads to the same service are not asked again. Failed and
    /// MAXREC-cut answers are never kept. A service's own `results_ttl_hours` setting wins.
    #[arg(long, value_name = "HOURS", num_args = 0..=1, require_equals = true, default_missing_value = "24",
          value_parser = parse_hours)]
    pub(crate) cache: Option<Duration>,
    /// Longest time one remote request may take, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) timeout: Option<Duration>,
    /// No progress bars even on a terminal (a server's requests are not the user's).
    #[arg(skip)]
    pub(crate) quiet: bool,
}

fn parse_overflow(text: &str) -> std::result::Result<OverflowPolicy, String> {
    text.parse()
        .map_err(|_| format!("expected `split` or `fail`, got '{text}'"))
}

fn parse_hours(text: &str) -> std::result::Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(h) if h.is_finite() && h >= 0.0 => Ok(Duration::from_secs_f64(h * 3600.0)),
        _ => Err(format!("expected a number of hours, got '{text}'")),
    }
}

fn parse_seconds(text: &str) -> std::result::Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "expected a positive number of seconds, got '{text}'"
        )),
    }
}

impl FederationArgs {
    /// The catalogue these flags describe.
    pub(crate) fn catalogue(&self) -> Result<Catalogue> {
        let catalogue = Catalogue::load(&LoadOptions {
            user_config: !self.no_user_config,
            config_files: self.configs.clone(),
            services: self.services.clone(),
        })
        .map_err(|e| Error::Federation(Box::new(e)))?;
        Ok(match self.cache {
            Some(ttl) => catalogue.with_results_ttl(ttl),
            None => catalogue,
        })
    }

    /// An engine over the catalogue, with progress bars on a terminal.
    pub(crate) fn engine(&self, syntax: &SyntaxArgs) -> Result<Engine> {
        let options = EngineOptions {
            parse: syntax.parse_options(),
            maxrec: self.maxrec,
            timeout: self.timeout,
            overflow: self.on_overflow,
            max_remote_rows: (self.max_remote_rows > 0).then_some(self.max_remote_rows),
            progress: (std::io::stderr().is_terminal() && !crate::verbose::on() && !self.quiet)
                .then(|| Arc::new(Bars::default()) as Arc<dyn ProgressSink>),
            ..EngineOptions::default()
        };
        Engine::from_env(self.catalogue()?, options).map_err(|e| Error::Federation(Box::new(e)))
    }
}

/// One spinner per remote request on stderr: the service, then the rows received so far.
#[derive(Debug, Default)]
struct Bars {
    multi: indicatif::MultiProgress,
    next: AtomicU64,
    bars: Mutex<HashMap<u64, indicatif::ProgressBar>>,
}

impl ProgressSink for Bars {
    fn started(&self, request: &RemoteRequest) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let bar = self.multi.add(indicatif::ProgressBar::new_spinner());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix}: {pos} rows ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_prefix(request.service.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bars
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, bar);
        id
    }

    fn rows(&self, id: u64, rows: u64) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            bar.inc(rows);
        }
    }

    fn finished(&self, id: u64, _error: Option<&FederationError>) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
        {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn seconds_must_be_positive() {
        assert_eq!(parse_seconds("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-3").is_err());
        assert!(parse_seconds("soon").is_err());
        assert_eq!(parse_hours("0.5").unwrap(), Duration::from_secs(1800));
        assert!(parse_hours("-1").is_err());
    }

    #[test]
    fn service_flags_join_the_catalogue() {
        let args = FederationArgs {
            services: vec!["mine=http://localhost:9/tap".into()],
            configs: Vec::new(),
            no_user_config: true,
            maxrec: None,
            on_overflow: OverflowPolicy::Split,
            timeout: None,
            max_remote_rows: 10_000_000,
            cache: None,
            quiet: false,
        };
        let catalogue = args.catalogue().unwrap();
        let mine = catalogue.get("mine").unwrap();
        assert_eq!(mine.url, "http://localhost:9/tap");
        assert!(catalogue.get("gaia").is_ok(), "built-ins stay");
        assert_eq!(
            catalogue.results_ttl(mine),
            None,
            "no result cache unless asked"
        );
        let cached = FederationArgs {
            cache: Some(Duration::from_secs(3600)),
            ..args.clone()
        };
        let catalogue = cached.catalogue().unwrap();
        assert_eq!(
            catalogue.results_ttl(catalogue.get("mine").unwrap()),
            Some(Duration::from_secs(3600))
        );
        let bad = FederationArgs {
            services: vec!["no url".into()],
            ..args
        };
        let err = bad.catalogue().unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
    }
}
