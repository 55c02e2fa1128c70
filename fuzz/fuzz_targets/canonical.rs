//! The URL canonicaliser: the first line is the site's significant parameters
//! (`a:b`), the rest a URL or path. Any input gives a key or an error, and a key read back
//! as a path gives itself.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::canonical(data));
