#![no_main]
//! Fuzz target: `stance::session::untrusted::rule_file` on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::session::untrusted::rule_file(data);
});
