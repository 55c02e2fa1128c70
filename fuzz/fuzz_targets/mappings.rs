//! A mappings file (`mappings/<abbr>.yml`) as the transform reads it (format rules) and as
//! the audit reads it (user needs).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phe_migrate::audit::needs;
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};
use phe_migrate::config::yaml::YamlDocument;
use phe_migrate::formats::mappings::Mappings;

fuzz_target!(|data: &str| {
    let path = Path::new("fuzz.yml");
    if let Ok(mappings) = Mappings::parse(path, data) {
        let _ = mappings.rule_for("/topics/a.html", "A title");
        let _ = mappings.needs_for("/topics/a.html");
    }
    if let Ok(doc) = YamlDocument::parse(path, data.to_owned()) {
        let canonicalizer = Canonicalizer::new(SignificantParams::parse(""), Mode::Govuk);
        let _ = needs::check(path, &doc, &canonicalizer);
    }
});
