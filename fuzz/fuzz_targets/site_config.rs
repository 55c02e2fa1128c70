//! A site config (`crawl-configs/<abbr>.yml`): parse with positions, then validate. Every
//! input gives a site or diagnostics, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phe_migrate::config::site::validate_site;
use phe_migrate::config::yaml::YamlDocument;

fuzz_target!(|data: &str| {
    if let Ok(doc) = YamlDocument::parse(Path::new("fuzz.yml"), data.to_owned()) {
        let _ = validate_site(&doc);
    }
});
