//! Access logs (combined and vhost_combined), line by line and as a whole file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phe_migrate::hits::{parse_log_line, parse_reader};

fuzz_target!(|data: &str| {
    for line in data.lines() {
        let _ = parse_log_line(line);
    }
    let _ = parse_reader(Path::new("access.log"), data.as_bytes());
});
