//! adql_syntax (work in progress).
