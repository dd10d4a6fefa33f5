//! vo_client (work in progress).
