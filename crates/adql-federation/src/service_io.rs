//! [`ServiceIo`]: how an [`Engine`](crate::Engine) reaches services, and [`VoServiceIo`], the production
//! implementation over vo-client.

use std::sync::Arc;

use async_trait::async_trait;
use vo_client::HttpClient;

use crate::catalogue::ServiceConfig;
use crate::error::{FederationError, Result};
use crate::executor::TapExecutor;
use crate::metadata::ServiceDescription;
use crate::session::{Discovery, Federation};
use crate::sources::add_source_service;
use crate::tap::{VoTapExecutor, VosiDiscovery};

/// How the engine reaches services: describing them and running their queries. The production
/// implementation is [`VoServiceIo`]; tests plug in services that answer from local tables.
#[async_trait]
pub trait ServiceIo: Discovery {
    /// The executor of `service`'s queries.
    fn executor(&self, service: &ServiceConfig) -> Result<Arc<dyn TapExecutor>>;

    /// Adds the table of a service that is not TAP (Mashup, cone search) to `federation`. The default
    /// knows none: such a service is an error naming it.
    async fn add_source_service(
        &self,
        federation: &mut Federation,
        service: &ServiceConfig,
    ) -> Result<()> {
        let _ = federation;
        Err(FederationError::Remote {
            service: service.name.clone(),
            url: service.url.clone(),
            message: format!("{:?} services are not available here", service.kind),
        })
    }
}

/// Services reached over HTTP with vo-client: VOSI for descriptions, TAP for queries.
#[derive(Debug, Clone)]
pub struct VoServiceIo {
    http: HttpClient,
    discovery: VosiDiscovery,
}

impl VoServiceIo {
    /// I/O sharing `http` (its proxies, retries and MAST token).
    pub fn new(http: HttpClient) -> Self {
        Self {
            discovery: VosiDiscovery::new(http.clone()),
            http,
        }
    }
}

#[async_trait]
impl Discovery for VoServiceIo {
    async fn describe(&self, service: &ServiceConfig) -> Result<ServiceDescription> {
        self.discovery.describe(service).await
    }
}

#[async_trait]
impl ServiceIo for VoServiceIo {
    fn executor(&self, service: &ServiceConfig) -> Result<Arc<dyn TapExecutor>> {
        Ok(Arc::new(VoTapExecutor::for_service(
            self.http.clone(),
            service,
        )?))
    }

    async fn add_source_service(
        &self,
        federation: &mut Federation,
        service: &ServiceConfig,
    ) -> Result<()> {
        add_source_service(federation, service, &self.http).await
    }
}
