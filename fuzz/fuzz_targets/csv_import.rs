//! CSV imports: a Transition mappings spreadsheet (`mappings/<abbr>*.csv`) and a Transition
//! hits CSV or pageviews export.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};
use phe_migrate::redirects::import;

fuzz_target!(|data: &str| {
    let canonicalizer = Canonicalizer::new(SignificantParams::parse("id"), Mode::Govuk);
    let hosts = vec!["www.example-legacy.org.uk".to_owned()];
    let _ = import::read(Path::new("fuzz.csv"), data, &hosts, &canonicalizer);
    let _ = phe_migrate::hits::parse_reader(Path::new("fuzz.csv"), data.as_bytes());
});
