//! What the crawler reads from a legacy server: decoded bodies, links, meta refresh,
//! robots.txt and sitemaps.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::crawl_parsers(data));
