//! The URL canonicaliser: the first line is the site's significant parameters
//! (`--query-string a:b`), the rest a URL or path. Any input gives a key or an error, and a
//! key is a fixed point (canonicalising it again gives itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};

fuzz_target!(|data: &str| {
    let (params, url) = data.split_once('\n').unwrap_or(("", data));
    for mode in [Mode::Govuk, Mode::Strict] {
        let canonicalizer = Canonicalizer::new(SignificantParams::parse(params), mode);
        if let Ok(key) = canonicalizer.key(url) {
            let again = canonicalizer.key(&key);
            assert!(again.is_ok(), "key {key:?} of {url:?} does not canonicalise");
        }
    }
    let _ = phe_migrate::canonical::aka_hostname(url);
    let _ = phe_migrate::canonical::bouncer_lookup_host(url);
});
