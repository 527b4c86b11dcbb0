#![no_main]
//! Fuzz target: `stance::session::untrusted::relation_table` on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::session::untrusted::relation_table(data);
});
