//! votable_arrow (work in progress).
