//! Govspeak to HTML, as the content items' bodies are rendered, with and without numbered
//! headings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phe_migrate::govspeak::{RenderOptions, render};

fuzz_target!(|data: &str| {
    for auto_numbered_headings in [false, true] {
        let _ = render(
            data,
            &RenderOptions {
                attachments: &[],
                images: &[],
                auto_numbered_headings,
            },
        );
    }
});
