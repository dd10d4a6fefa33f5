//! adql_federation (work in progress).
