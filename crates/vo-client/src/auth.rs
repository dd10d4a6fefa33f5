//! MAST API tokens: where they come from, which hosts receive them, and how they are kept
//! out of logs.
//!
//! The token is looked up, in order, in the environment variable `MAST_API_TOKEN` and in the
//! configuration file `$XDG_CONFIG_HOME/adql/config.toml` (`~/.config/adql/config.toml` when
//! `XDG_CONFIG_HOME` is unset):
//!
//! ```toml
//! [mast]
//! token = "…"
//! # Hosts that receive the token; "*.example.org" matches every subdomain.
//! token_hosts = ["*.stsci.edu"]
//! ```
//!
//! It is sent as `Authorization: token …` to the configured hosts only (default
//! `*.stsci.edu`), never to a host reached by a redirect from another host.
//!
//! Other services' tokens are configured the same way, per host, in `[[tokens]]` entries; the token comes
//! from an environment variable (`token_env`, preferred: the file then holds no secret) or from `token`, and
//! is sent as `Authorization: SCHEME …` (default `Bearer`):
//!
//! ```toml
//! [[tokens]]
//! hosts = ["*.ipac.caltech.edu"]
//! token_env = "IRSA_TOKEN"
//! scheme = "Bearer"
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable holding a MAST API token.
pub const MAST_TOKEN_ENV: &str = "MAST_API_TOKEN";

/// The hosts that receive the MAST token unless configured otherwise.
pub const DEFAULT_TOKEN_HOSTS: &[&str] = &["*.stsci.edu"];

/// A credential. Its `Debug` and `Display` print `***`, so it cannot leak through logs,
/// error messages or `{:?}` of a containing struct.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself, for the one place that puts it in a header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which hosts receive which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    /// The MAST token, if any.
    pub token: Option<Secret>,
    /// Host patterns: an exact host name, or `*.domain` for the domain and its subdomains.
    pub hosts: Vec<String>,
    /// Other services' tokens, each with its hosts (`[[tokens]]`); the MAST token wins for its hosts.
    pub others: Vec<HostToken>,
}

/// A token of another service and the hosts that receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostToken {
    /// Host patterns, as for the MAST token.
    pub hosts: Vec<String>,
    /// The token.
    pub token: Secret,
    /// The scheme of the `Authorization` header (`Bearer`, `token`, …).
    pub scheme: String,
    /// The environment variable it came from, if any (what a curl script reads instead of the token).
    pub env: Option<String>,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            token: None,
            hosts: DEFAULT_TOKEN_HOSTS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            others: Vec::new(),
        }
    }
}

impl TokenPolicy {
    /// A policy sending `token` to the default MAST hosts.
    pub fn mast(token: Secret) -> Self {
        TokenPolicy {
            token: Some(token),
            ..TokenPolicy::default()
        }
    }

    /// Reads the token and host list from the environment and the configuration file (see
    /// the module documentation). A missing file is not an error; an unreadable or malformed
    /// one is.
    pub fn from_env_and_config() -> Result<Self> {
        let file = match config_path() {
            Some(path) => ConfigFile::load(&path)?,
            None => ConfigFile::default(),
        };
        let env_token = std::env::var(MAST_TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty());
        Ok(Self::resolve(env_token, file))
    }

    /// Combines an environment token (preferred) with what a configuration file says.
    pub fn resolve(env_token: Option<String>, file: ConfigFile) -> Self {
        let token = env_token.map(|t| Secret::new(t.trim())).or(file.mast_token);
        let hosts = file.mast_token_hosts.unwrap_or_else(|| {
            DEFAULT_TOKEN_HOSTS
                .iter()
                .map(|h| (*h).to_owned())
                .collect()
        });
        TokenPolicy {
            token,
            hosts,
            others: file.tokens,
        }
    }

    /// Whether `host` is one of those that receive the MAST token (whether or not a token is set).
    pub fn is_mast_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|pattern| host_matches(pattern, host))
    }

    /// The `[[tokens]]` entry for `host`, if any.
    pub fn other_for(&self, host: &str) -> Option<&HostToken> {
        self.others
            .iter()
            .find(|t| t.hosts.iter().any(|pattern| host_matches(pattern, host)))
    }

    /// The MAST token to send to `host`, if that host is on the list.
    pub fn token_for(&self, host: &str) -> Option<&Secret> {
        let token = self.token.as_ref()?;
        self.is_mast_host(host).then_some(token)
    }

    /// The `Authorization` scheme and token for `host`: the MAST token (scheme `token`) for MAST's hosts, else
    /// the first `[[tokens]]` entry whose hosts match.
    pub fn authorization_for(&self, host: &str) -> Option<(&str, &Secret)> {
        if let Some(token) = self.token_for(host) {
            return Some(("token", token));
        }
        self.other_for(host).map(|t| (t.scheme.as_str(), &t.token))
    }
}

/// True when `host` matches `pattern` (`*.stsci.edu` matches `stsci.edu` and every
/// subdomain; anything else must match exactly). Comparison ignores ASCII case and a
/// trailing dot.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => {
            host == domain
                || (host.len() > domain.len()
                    && host.ends_with(domain)
                    && host[..host.len() - domain.len()].ends_with('.'))
        }
        None => host == pattern,
    }
}

/// The path of the configuration file: `$XDG_CONFIG_HOME/adql/config.toml`, else
/// `$HOME/.config/adql/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("adql").join("config.toml"))
}

/// What the configuration file says about MAST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// `mast.token`.
    pub mast_token: Option<Secret>,
    /// `mast.token_hosts`.
    pub mast_token_hosts: Option<Vec<String>>,
    /// The `[[tokens]]` entries whose token is known (from the environment or the file).
    pub tokens: Vec<HostToken>,
}

impl ConfigFile {
    /// Loads the file; a missing file gives the empty configuration.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text)
                .map_err(|msg| Error::Config(format!("{}: {msg}", path.display()))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(err) => Err(Error::Config(format!("{}: {err}", path.display()))),
        }
    }

    /// Parses the TOML text. Errors never quote the file's content (it holds a secret).
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|err: toml::de::Error| {
            // toml's message quotes the offending line, which may hold the token.
            match err.span() {
                Some(span) => format!("invalid TOML at byte {}", span.start),
                None => "invalid TOML".to_owned(),
            }
        })?;
        let tokens = parse_tokens(&table, |name| std::env::var(name).ok())?;
        let Some(mast) = table.get("mast") else {
            return Ok(ConfigFile {
                tokens,
                ..ConfigFile::default()
            });
        };
        let mast = mast.as_table().ok_or("`mast` must be a table")?;
        let mast_token = match mast.get("token") {
            None => None,
            Some(value) => {
                let token = value
                    .as_str()
                    .ok_or("`mast.token` must be a string")?
                    .trim();
                (!token.is_empty()).then(|| Secret::new(token))
            }
        };
        let mast_token_hosts = match mast.get("token_hosts") {
            None => None,
            Some(value) => {
                let list = value
                    .as_array()
                    .ok_or("`mast.token_hosts` must be an array of strings")?;
                let hosts = list
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or("`mast.token_hosts` must be an array of strings")
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Some(hosts)
            }
        };
        Ok(ConfigFile {
            mast_token,
            mast_token_hosts,
            tokens,
        })
    }
}

/// The `[[tokens]]` entries; `env` reads an environment variable. An entry whose variable is unset is left
/// out (the service is then reached without a token); errors never quote a token.
fn parse_tokens(
    table: &toml::Table,
    env: impl Fn(&str) -> Option<String>,
) -> std::result::Result<Vec<HostToken>, String> {
    let Some(entries) = table.get("tokens") else {
        return Ok(Vec::new());
    };
    let entries = entries
        .as_array()
        .ok_or("`tokens` must be an array of tables ([[tokens]])")?;
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let n = i + 1;
        let entry = entry
            .as_table()
            .ok_or(format!("tokens entry {n} must be a table"))?;
        if let Some(key) = entry
            .keys()
            .find(|k| !matches!(k.as_str(), "hosts" | "token" | "token_env" | "scheme"))
        {
            return Err(format!(
                "tokens entry {n}: unknown key `{key}` (hosts, token, token_env, scheme)"
            ));
        }
        let hosts: Vec<String> = entry
            .get("hosts")
            .and_then(|h| h.as_array())
            .ok_or(format!(
                "tokens entry {n} needs `hosts`, an array of host names"
            ))?
            .iter()
            .map(|h| h.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or(format!("tokens entry {n}: `hosts` must be strings"))?;
        if hosts.is_empty() {
            return Err(format!("tokens entry {n}: `hosts` is empty"));
        }
        let scheme = match entry.get("scheme") {
            None => "Bearer".to_owned(),
            Some(v) => v
                .as_str()
                .filter(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .ok_or(format!(
                    "tokens entry {n}: `scheme` must be a word such as Bearer"
                ))?
                .to_owned(),
        };
        let variable = match entry.get("token_env") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or(format!("tokens entry {n}: `token_env` must be a string"))?
                    .to_owned(),
            ),
        };
        let token = match (&variable, entry.get("token")) {
            (Some(name), _) => env(name).filter(|t| !t.trim().is_empty()),
            (None, Some(v)) => Some(
                v.as_str()
                    .ok_or(format!("tokens entry {n}: `token` must be a string"))?
                    .to_owned(),
            ),
            (None, None) => return Err(format!("tokens entry {n} needs `token_env` or `token`")),
        };
        if let Some(token) = token {
            out.push(HostToken {
                hosts,
                token: Secret::new(token.trim()),
                scheme,
                env: variable,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn other_services_tokens_go_to_their_hosts_with_their_scheme() {
        let text = r#"
[[tokens]]
hosts = ["*.ipac.caltech.edu"]
token_env = "IRSA_TOKEN"

[[tokens]]
hosts = ["archive.example.org"]
token = "inline"
scheme = "token"

[[tokens]]
hosts = ["unset.example.org"]
token_env = "NOT_SET"
"#;
        let table: toml::Table = text.parse().unwrap();
        let env = |name: &str| (name == "IRSA_TOKEN").then(|| "irsa-secret".to_owned());
        let tokens = parse_tokens(&table, env).unwrap();
        assert_eq!(
            tokens.len(),
            2,
            "an entry whose variable is unset is left out"
        );
        let policy = TokenPolicy {
            token: Some(Secret::new("mast")),
            others: tokens,
            ..TokenPolicy::default()
        };
        let auth = |host: &str| {
            policy
                .authorization_for(host)
                .map(|(s, t)| format!("{s} {}", t.expose()))
        };
        assert_eq!(
            auth("irsa.ipac.caltech.edu").as_deref(),
            Some("Bearer irsa-secret")
        );
        assert_eq!(auth("archive.example.org").as_deref(), Some("token inline"));
        assert_eq!(auth("mast.stsci.edu").as_deref(), Some("token mast"));
        assert_eq!(auth("gea.esac.esa.int"), None);
        for bad in [
            "[[tokens]]\nhosts = []\ntoken = \"x\"\n",
            "[[tokens]]\nhosts = [\"a\"]\n",
            "[[tokens]]\nhosts = [\"a\"]\ntoken = \"sec\"\nschem = \"Bearer\"\n",
        ] {
            let table: toml::Table = bad.parse().unwrap();
            let error = parse_tokens(&table, |_| None).unwrap_err();
            assert!(!error.contains("sec\""), "{error}");
        }
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("abc123");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        let policy = TokenPolicy::mast(s);
        assert!(!format!("{policy:?}").contains("abc123"));
    }

    #[test]
    fn host_patterns() {
        assert!(host_matches("*.stsci.edu", "mast.stsci.edu"));
        assert!(host_matches("*.stsci.edu", "MAST.STSCI.EDU."));
        assert!(host_matches("*.stsci.edu", "stsci.edu"));
        assert!(!host_matches("*.stsci.edu", "evilstsci.edu"));
        assert!(!host_matches("*.stsci.edu", "stsci.edu.evil.org"));
        assert!(host_matches("127.0.0.1", "127.0.0.1"));
        assert!(!host_matches("mast.stsci.edu", "x.mast.stsci.edu"));
    }

    #[test]
    fn token_only_for_listed_hosts() {
        let p = TokenPolicy::mast(Secret::new("t"));
        assert!(p.token_for("mast.stsci.edu").is_some());
        assert!(p.token_for("gea.esac.esa.int").is_none());
        assert!(TokenPolicy::default().token_for("mast.stsci.edu").is_none());
    }

    #[test]
    fn config_file_and_env() {
        let file =
            ConfigFile::parse("[mast]\ntoken = \" sekrit \"\ntoken_hosts = [\"a.b\"]\n").unwrap();
        assert_eq!(file.mast_token, Some(Secret::new("sekrit")));
        let p = TokenPolicy::resolve(None, file.clone());
        assert_eq!(p.hosts, vec!["a.b".to_owned()]);
        assert_eq!(p.token.as_ref().unwrap().expose(), "sekrit");
        let p = TokenPolicy::resolve(Some("fromenv".into()), file);
        assert_eq!(p.token.unwrap().expose(), "fromenv");
        assert_eq!(ConfigFile::parse("").unwrap(), ConfigFile::default());
    }

    #[test]
    fn config_errors_do_not_quote_the_token() {
        let err = ConfigFile::parse("[mast]\ntoken = \"sekrit\" junk\n").unwrap_err();
        assert!(!err.contains("sekrit"), "{err}");
        let err = ConfigFile::parse("[mast]\ntoken = 5\n").unwrap_err();
        assert!(err.contains("mast.token"));
    }

    #[test]
    fn missing_config_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            ConfigFile::load(&dir.path().join("none.toml")).unwrap(),
            ConfigFile::default()
        );
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[mast]\ntoken='x'\n").unwrap();
        assert_eq!(
            ConfigFile::load(&path).unwrap().mast_token,
            Some(Secret::new("x"))
        );
    }
}
