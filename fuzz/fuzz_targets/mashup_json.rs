//! MAST Mashup answers: any JSON document is a page or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = vo_client::mashup::parse_resolved(&doc);
    let _ = vo_client::mashup::response::parse_page(doc);
});
