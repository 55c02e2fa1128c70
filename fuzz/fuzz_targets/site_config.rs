//! A site config (`crawl-configs/<abbr>.yml`): parse with positions, then validate. Every
//! input gives a site or diagnostics, never a panic.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::site_config(data));
