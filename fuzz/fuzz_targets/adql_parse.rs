//! The ADQL parser with its printer as oracle: whatever parses prints as text that parses to the same tree
//! and prints the same; nothing panics or overflows the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tree) = adql_syntax::parse(text) else {
        return;
    };
    let printed = tree.to_string();
    let again = match adql_syntax::parse(&printed) {
        Ok(t) => t,
        Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
    };
    assert_eq!(again, tree, "{text:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed, "{text:?}");
});
