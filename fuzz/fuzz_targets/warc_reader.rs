//! The WARC reader (plain or gzip per record), and the HTTP response parser for each
//! record's block.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phe_migrate::warc::{Reader, parse_http_response};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = Reader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    for record in reader.take(1000) {
        match record {
            Ok(record) => {
                let _ = parse_http_response(&record.block);
            }
            Err(_) => break,
        }
    }
});
