//! adql_geom (work in progress).
