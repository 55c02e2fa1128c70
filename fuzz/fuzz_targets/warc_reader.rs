//! The WARC reader (plain or gzip per record), and the HTTP response parser for each
//! record's block.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::warc_reader(data));
