//! A legacy page through the transform's path: decode, cap nesting, parse, find the main
//! content, convert to Govspeak, gather the page facts, then render the Govspeak to HTML.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::html_to_govspeak(data));
