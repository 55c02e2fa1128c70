//! phe-migrate: moves Public Health England's legacy websites onto GOV.UK.
//!
//! The library holds every stage of the pipeline; the binary only parses arguments and
//! prints. Data flows one way: site configs -> crawl store -> transform -> redirects/audit.

/// A built-in CSS selector, parsed once for the whole run rather than once per page.
macro_rules! selector {
    ($css:literal $(,)?) => {{
        static SELECTOR: std::sync::LazyLock<scraper::Selector> = std::sync::LazyLock::new(|| {
            scraper::Selector::parse($css).expect("a valid built-in selector")
        });
        &*SELECTOR
    }};
}

pub mod atomic;
pub mod audit;
pub mod batch;
pub mod canonical;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod csv_cell;
pub mod diagnostic;
pub mod error;
pub mod extract;
pub mod fixtures;
pub mod formats;
pub mod govspeak;
pub mod hits;
pub mod redirects;
pub mod store;
pub mod timefmt;
pub mod transform;
pub mod warc;

pub use error::{Error, Result};
