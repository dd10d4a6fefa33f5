//! The documents a TAP service answers about itself and its jobs: UWS job and job list, VOSI capabilities,
//! tables and availability. Any bytes parse or give an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vo_client::{tap::uws, vosi};

fuzz_target!(|data: &[u8]| {
    let _ = uws::parse_job(data);
    let _ = uws::parse_job_list(data);
    let _ = vosi::capabilities::parse(data);
    let _ = vosi::tables::parse(data);
    let _ = vosi::availability::parse(data);
});
