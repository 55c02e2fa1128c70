//! A legacy page through the transform's path: decode, cap nesting, parse, find the main
//! content, convert to Govspeak, gather the page facts, then render the Govspeak to HTML.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use phe_migrate::extract::{cap_nesting, charset, content, facts, MAX_NESTING};
use phe_migrate::govspeak::{self, LinkTarget, Options, RenderOptions};
use scraper::{ElementRef, Html};

fuzz_target!(|data: &[u8]| {
    let decoded = charset::decode(data, Some("text/html"));
    let html = cap_nesting(&decoded.text, MAX_NESTING);
    let document = Html::parse_document(&html);
    let rules = content::ContentRules::default();
    let extracted = content::extract(&document, &rules, None);
    let Some(main) = document.tree.get(extracted.main).and_then(ElementRef::wrap) else {
        return;
    };
    let base = url::Url::parse("http://www.example-legacy.org.uk/a/b.html").unwrap();
    let keep = |_: &url::Url| LinkTarget::Keep;
    let skip: HashSet<_> = extracted.skip.clone();
    let options = Options {
        base: Some(&base),
        link_target: &keep,
        skip: &skip,
    };
    let conversion = govspeak::convert(main, &options);
    let text = content::visible_text(main, &skip);
    let _ = facts::page_facts(&document, main, &skip, &text, Some(&base));
    let _ = govspeak::with_attachments_listed(&conversion);
    let _ = govspeak::render(
        &conversion.govspeak,
        &RenderOptions {
            attachments: &[],
            images: &[],
            auto_numbered_headings: false,
        },
    );
});
