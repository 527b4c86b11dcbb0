#![no_main]
//! Fuzz target: `stance::session::untrusted::statement_table` on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stance::session::untrusted::statement_table(data);
});
