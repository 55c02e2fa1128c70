//! A mappings file (`mappings/<abbr>.yml`) as the transform reads it (format rules) and as
//! the audit reads it (user needs).
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::mappings(data));
