//! CSV imports: a Transition mappings spreadsheet (`mappings/<abbr>*.csv`) and a Transition
//! hits CSV or pageviews export.
#![no_main]

#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::csv_import(data));
