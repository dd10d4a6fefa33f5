//! [`Server`]: binds, recovers the stored jobs, and serves until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use adql_federation::Engine;
use tokio::net::TcpListener;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::served::Served;
use crate::state::State;
use crate::uws::runner;
use crate::uws::store::JobStore;

/// A TAP service over an [`Engine`].
///
/// ```no_run
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// use adql_federation::{Catalogue, Engine, EngineOptions};
/// use adql_server::{Server, ServerConfig};
///
/// let engine = Engine::new(Catalogue::builtin(), EngineOptions::default())?;
/// let config = ServerConfig::new("127.0.0.1:8090".parse()?, "/var/lib/adql");
/// let server = Server::bind(engine, config).await?;
/// println!("TAP service at http://{}", server.local_addr());
/// server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
/// # Ok(())
/// # }
/// ```
pub struct Server {
    state: Arc<State>,
    listener: TcpListener,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("bind", &self.state.config.bind)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the job store, describes the listed services and binds the address. Jobs that were queued or
    /// running when the server last stopped run again once [`run`](Self::run) starts.
    ///
    /// # Errors
    /// A non-loopback address without a token; the store cannot be opened; the address cannot be bound.
    pub async fn bind(engine: Engine, config: ServerConfig) -> Result<Self, ServerError> {
        if !config.bind.ip().is_loopback() && config.token.is_none() {
            return Err(ServerError::Unprotected { addr: config.bind });
        }
        let store = JobStore::open(&config.data_dir)?;
        let served = Served::describe(&engine, &config.listed_services).await;
        for failure in &served.failures {
            tracing::warn!("not listed: {failure}");
        }
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let state = Arc::new(State::new(Arc::new(engine), config, store, served)?);
        Ok(Self { state, listener })
    }

    /// The address the server listens on (the port the system chose when the configuration said 0).
    ///
    /// # Errors
    /// The socket cannot say.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    /// Serves until `shutdown` completes; jobs still queued or running then run again at the next start.
    ///
    /// # Errors
    /// The store cannot be read; the listener fails.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        runner::start(&self.state)?;
        let app = crate::routes::router(Arc::clone(&self.state));
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
