//! Govspeak to HTML, as the content items' bodies are rendered, with and without numbered
//! headings.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::govspeak_to_html(data));
