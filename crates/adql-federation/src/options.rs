//! Session options of the federated planner: [`FederationOptions`] and the [`OverflowPolicy`] they hold.

use std::fmt;
use std::str::FromStr;

use datafusion::common::config::{ConfigExtension, ConfigField, Visit};
use datafusion::common::extensions_options;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use serde::{Deserialize, Serialize};

/// What a remote part that overflows MAXREC does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverflowPolicy {
    /// Fetch it again in pieces that each fit under MAXREC, split on an output column.
    #[default]
    Split,
    /// Fail with [`FederationError::Overflow`](crate::FederationError::Overflow) naming the service, its URL and the ADQL.
    Fail,
}

impl fmt::Display for OverflowPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Split => "split",
            Self::Fail => "fail",
        })
    }
}

impl FromStr for OverflowPolicy {
    type Err = DataFusionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "split" => Ok(Self::Split),
            "fail" => Ok(Self::Fail),
            other => Err(DataFusionError::Configuration(format!(
                "overflow policy `{other}`: expected `split` or `fail`"
            ))),
        }
    }
}

impl ConfigField for OverflowPolicy {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        v.some(key, self, description)
    }

    fn set(&mut self, _key: &str, value: &str) -> datafusion::error::Result<()> {
        *self = value.parse()?;
        Ok(())
    }
}

extensions_options! {
    /// Session options of the federated planner: `SessionConfig::with_option_extension`, or
    /// `SET federation.overflow = 'fail'` once the extension is in the session's configuration.
    /// A session without them uses the defaults.
    pub struct FederationOptions {
        /// What a remote part over MAXREC does: `split` (default) or `fail`. A service's own
        /// setting (`overflow` in its configuration) wins over this one.
        pub overflow: OverflowPolicy, default = OverflowPolicy::Split
        /// At most this many requests (probes and pieces) to split one remote part.
        pub split_max_requests: usize, default = 512
        /// At most this many levels of splitting a piece again.
        pub split_max_depth: usize, default = 24
    }
}

impl ConfigExtension for FederationOptions {
    const PREFIX: &'static str = "federation";
}

impl FederationOptions {
    /// The options of the session `context` runs in (the defaults when it has none).
    pub(crate) fn of(context: &TaskContext) -> FederationOptions {
        context
            .session_config()
            .options()
            .extensions
            .get::<FederationOptions>()
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn policy_parses_and_prints() {
        assert_eq!(
            "Split".parse::<OverflowPolicy>().unwrap(),
            OverflowPolicy::Split
        );
        assert_eq!(
            " fail ".parse::<OverflowPolicy>().unwrap(),
            OverflowPolicy::Fail
        );
        assert!("truncate".parse::<OverflowPolicy>().is_err());
        assert_eq!(OverflowPolicy::default().to_string(), "split");
        let mut config = datafusion::prelude::SessionConfig::new()
            .with_option_extension(FederationOptions::default());
        config
            .options_mut()
            .set("federation.overflow", "fail")
            .unwrap();
        let options = config
            .options()
            .extensions
            .get::<FederationOptions>()
            .unwrap();
        assert_eq!(options.overflow, OverflowPolicy::Fail);
    }
}
