//! phe-migrate: moves Public Health England's legacy websites onto GOV.UK.
//!
//! The library holds every stage of the pipeline; the binary only parses arguments and
//! prints. Data flows one way: site configs -> crawl store -> transform -> redirects/audit.

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
