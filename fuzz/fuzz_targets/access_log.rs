//! Access logs (combined and vhost_combined), line by line and as a whole file.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::access_log(data));
