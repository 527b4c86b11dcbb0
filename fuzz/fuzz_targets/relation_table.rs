#![no_main]
//! Fuzz target: `stance::untrusted::relation_table` on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::untrusted::relation_table(data);
});
