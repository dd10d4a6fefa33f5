//! [`RemoteService`]: a TAP service the planner may send queries to, and the [`ServiceRegistry`] of a
//! session.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cache::DEFAULT_TTL;
use crate::capabilities::ServiceCapabilities;
use crate::error::{FederationError, Result};
use crate::executor::{RemoteRequest, TapExecutor};
use crate::options::OverflowPolicy;
use crate::row_count::RowCount;

/// A service the planner may send queries to.
#[derive(Debug, Clone)]
pub struct RemoteService {
    /// Name in the catalogue (lower case), e.g. `gaia`.
    pub name: String,
    /// Base URL, e.g. `https://gea.esac.esa.int/tap-server/tap`.
    pub url: String,
    /// What it can evaluate.
    pub capabilities: ServiceCapabilities,
    /// `MAXREC` to request; defaults to the service's hard limit.
    pub maxrec: Option<u64>,
    /// What to do when a remote part overflows MAXREC; `None` follows the session
    /// ([`FederationOptions`](crate::FederationOptions)).
    pub overflow: Option<OverflowPolicy>,
    /// The most rows a remote part may fetch when nothing bounds it (no `TOP`, no strategy with a
    /// smaller side): a larger part is refused before its rows move ([`RemoteService::check_size`]).
    /// `None`: no limit.
    pub max_rows: Option<u64>,
    /// How long a row count learnt from the service is trusted (as long as its description).
    pub count_ttl: Duration,
    /// Row counts of remote parts, by ADQL text, with when they were learnt.
    pub(crate) counts: Arc<Mutex<HashMap<String, (RowCount, Instant)>>>,
    /// How queries reach it.
    pub executor: Arc<dyn TapExecutor>,
}

impl RemoteService {
    /// A service with the given identity, capabilities and executor.
    pub fn new(
        name: impl Into<String>,
        url: impl Into<String>,
        capabilities: ServiceCapabilities,
        executor: Arc<dyn TapExecutor>,
    ) -> Self {
        let maxrec = capabilities.hard_maxrec;
        Self {
            name: name.into(),
            url: url.into(),
            capabilities,
            maxrec,
            overflow: None,
            max_rows: None,
            count_ttl: DEFAULT_TTL,
            counts: Arc::default(),
            executor,
        }
    }

    /// What a remote part of this service does when it overflows MAXREC, in a session whose policy is
    /// `session`: the service's own setting wins.
    pub fn overflow_policy(&self, session: OverflowPolicy) -> OverflowPolicy {
        self.overflow.unwrap_or(session)
    }

    /// A request for `adql` on this service.
    pub fn request(&self, adql: impl Into<String>) -> RemoteRequest {
        RemoteRequest {
            service: self.name.clone(),
            url: self.url.clone(),
            adql: adql.into(),
            maxrec: self.maxrec,
        }
    }
}

/// The services of a session, by name.
#[derive(Debug, Clone, Default)]
pub struct ServiceRegistry {
    services: BTreeMap<String, Arc<RemoteService>>,
}

impl ServiceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a service.
    pub fn insert(&mut self, service: RemoteService) -> Arc<RemoteService> {
        let service = Arc::new(service);
        self.services
            .insert(service.name.clone(), Arc::clone(&service));
        service
    }

    /// The service called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<RemoteService>> {
        self.services
            .get(name)
            .cloned()
            .ok_or_else(|| FederationError::UnknownService {
                name: name.to_string(),
                known: self.services.keys().cloned().collect(),
            })
    }

    /// All services, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RemoteService>> {
        self.services.values()
    }
}
