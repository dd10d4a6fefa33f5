//! `adql`: one ADQL query across several astronomical archives.
//!
//! This crate is a facade over the workspace's layers (see `docs/architecture.md`): the syntax tree and
//! parser ([`syntax`]), ADQL on DataFusion for local tables ([`local`]), the service clients ([`client`]),
//! VOTable ⇄ Arrow ([`votable`]), and the federated planner ([`federation`]), whose [`Engine`] runs one ADQL
//! query over local tables and remote archives.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use adql::{Catalogue, Engine, EngineOptions};
//!
//! // An engine with no services needs no network: the bundled catalogue of stars as a local table.
//! let engine = Engine::new(Catalogue::empty(), EngineOptions::default())?;
//! engine.register_file("stars", std::path::Path::new("data/stars.csv"), &[]).await?;
//! let adql = "SELECT COUNT(*) AS n FROM stars \
//!             WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 2))";
//! let rows = engine.query(adql).await?.collect().await?;
//! assert_eq!(rows[0].num_rows(), 1);
//! // No remote part: everything runs locally.
//! assert!(engine.explain(adql).await?.remote_parts.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub use adql_engine as local;
pub use adql_federation as federation;
pub use adql_federation::{
    Catalogue, Engine, EngineOptions, Explanation, FederationError as Error, Finding, RemotePart,
    Survey,
};
pub use adql_syntax as syntax;
pub use vo_client as client;
pub use votable_arrow as votable;
