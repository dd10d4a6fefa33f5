//! The production I/O: [`VoTapExecutor`] runs ADQL through vo-client's TAP client, and
//! [`VosiDiscovery`] describes services from VOSI `/capabilities` and `/tables`.

use std::fmt;

use adql_syntax::AdqlVersion;
use async_trait::async_trait;
use futures::StreamExt;
use vo_client::HttpClient;
use vo_client::tap::{Mode, TapOptions, TapQuery, TapService, Upload};
use vo_client::vosi::{Capabilities, LimitUnit, TableSet};

use crate::capabilities::{LanguageFeature, ServiceCapabilities};
use crate::catalogue::{QueryMode, ServiceConfig};
use crate::error::{FederationError, Result};
use crate::executor::{RemoteEvent, RemoteRequest, RemoteStream, TapExecutor, UploadTable};
use crate::metadata::{ColumnMetadata, ServiceDescription, TableMetadata};
use crate::session::Discovery;

fn remote(service: &str, url: &str, e: impl fmt::Display) -> FederationError {
    FederationError::Remote {
        service: service.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    }
}

/// Runs ADQL on a TAP service with vo-client (sync or async as the client's options say),
/// streaming the batches and reporting `QUERY_STATUS=OVERFLOW` as [`RemoteEvent::Overflow`].
#[derive(Debug, Clone)]
pub struct VoTapExecutor {
    tap: TapService,
}

impl VoTapExecutor {
    /// An executor over `tap`.
    pub fn new(tap: TapService) -> Self {
        Self { tap }
    }

    /// An executor for the service `name` at `url`, sharing `http`.
    pub fn connect(http: HttpClient, name: &str, url: &str) -> Result<Self> {
        let tap = TapService::new(http, url)
            .map_err(|e| remote(name, url, e))?
            .with_name(name);
        Ok(Self::new(tap))
    }

    /// An executor for a configured service: its name, URL and [`QueryMode`].
    pub fn for_service(http: HttpClient, service: &ServiceConfig) -> Result<Self> {
        let mut executor = Self::connect(http, &service.name, &service.url)?;
        let mode = match service.mode {
            QueryMode::Auto => executor.tap.options().mode,
            QueryMode::Sync => Mode::Sync,
            QueryMode::Async => Mode::Async,
        };
        let options = TapOptions {
            mode,
            ..executor.tap.options().clone()
        };
        executor.tap = executor.tap.with_options(options);
        Ok(executor)
    }
}

impl VoTapExecutor {
    /// Runs `query` and turns the result into remote events (overflow reported at the end).
    async fn run(&self, query: TapQuery, request: RemoteRequest) -> Result<RemoteStream> {
        let (service, url) = (request.service.clone(), request.url.clone());
        let result = self
            .tap
            .query(&query)
            .await
            .map_err(|e| remote(&service, &url, e))?;
        let events = futures::stream::unfold(Some(result), move |state| {
            let (service, url) = (service.clone(), url.clone());
            async move {
                let mut result = state?;
                match result.next().await {
                    Some(Ok(batch)) => Some((Ok(RemoteEvent::Batch(batch)), Some(result))),
                    Some(Err(e)) => Some((Err(remote(&service, &url, e)), None)),
                    None => match result.completeness() {
                        Some(c) if c.is_truncated() => Some((Ok(RemoteEvent::Overflow), None)),
                        _ => None,
                    },
                }
            }
        });
        Ok(Box::pin(events))
    }

    fn query(request: &RemoteRequest) -> TapQuery {
        let mut query = TapQuery::new(request.adql.clone());
        if let Some(maxrec) = request.maxrec {
            query = query.maxrec(maxrec);
        }
        query
    }
}

#[async_trait]
impl TapExecutor for VoTapExecutor {
    async fn execute(&self, request: RemoteRequest) -> Result<RemoteStream> {
        let query = Self::query(&request);
        self.run(query, request).await
    }

    async fn execute_with_uploads(
        &self,
        request: RemoteRequest,
        uploads: Vec<UploadTable>,
    ) -> Result<RemoteStream> {
        let mut query = Self::query(&request);
        for table in uploads {
            // vo-client sends the tables as VOTable parts of a multipart POST.
            let upload = Upload::from_batches(
                &table.name,
                table.batch.schema(),
                std::slice::from_ref(&table.batch),
            )
            .map_err(|e| remote(&request.service, &request.url, e))?;
            query = query.upload(upload);
        }
        self.run(query, request).await
    }
}

/// The capabilities a VOSI capabilities document declares.
pub fn capabilities_from_vosi(caps: &Capabilities) -> ServiceCapabilities {
    let version = if caps
        .adql_versions()
        .iter()
        .any(|v| v.trim().ends_with("2.1"))
    {
        AdqlVersion::V2_1
    } else {
        AdqlVersion::V2_0
    };
    ServiceCapabilities {
        adql_version: version,
        features: caps
            .feature_pairs()
            .into_iter()
            .map(|(t, f)| LanguageFeature::new(t, f))
            .collect(),
        upload: caps.supports_upload(),
        default_maxrec: caps.default_maxrec(),
        hard_maxrec: caps.hard_maxrec(),
        upload_limit_rows: caps.upload_limit(LimitUnit::Rows),
        upload_limit_bytes: caps.upload_limit(LimitUnit::Bytes),
    }
}

/// The tables a VOSI tableset lists.
pub fn tables_from_vosi(tables: &TableSet) -> Vec<TableMetadata> {
    tables
        .schemas
        .iter()
        .flat_map(|schema| {
            schema.tables.iter().map(|table| TableMetadata {
                schema: schema.name.clone(),
                name: table.name.clone(),
                description: table.description.clone(),
                rows: table.nrows,
                columns: table
                    .columns
                    .iter()
                    .map(|c| ColumnMetadata {
                        name: c.name.clone(),
                        datatype: c.datatype.clone().unwrap_or_else(|| "char".to_string()),
                        arraysize: c.arraysize.clone(),
                        xtype: c.xtype.clone(),
                        unit: c.unit.clone(),
                        ucd: c.ucd.clone(),
                        utype: c.utype.clone(),
                        description: c.description.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Describes services over VOSI with vo-client.
#[derive(Debug, Clone)]
pub struct VosiDiscovery {
    http: HttpClient,
}

impl VosiDiscovery {
    /// Discovery sharing `http`.
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

#[async_trait]
impl Discovery for VosiDiscovery {
    async fn describe(&self, service: &ServiceConfig) -> Result<ServiceDescription> {
        let err = |e: vo_client::Error| remote(&service.name, &service.url, e);
        let tap = TapService::new(self.http.clone(), &service.url)
            .map_err(err)?
            .with_name(&service.name);
        let capabilities = tap.capabilities().await.map_err(err)?;
        let tables = tap.tables().await.map_err(err)?;
        Ok(ServiceDescription {
            capabilities: capabilities_from_vosi(&capabilities),
            tables: tables_from_vosi(&tables),
        })
    }
}
