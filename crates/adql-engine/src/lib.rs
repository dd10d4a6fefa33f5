//! adql_engine (work in progress).
