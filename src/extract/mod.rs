//! What the tool reads out of legacy pages: text in the right character set, links,
//! and (for the transform and audits) main content, metadata and data signals.

pub mod charset;
pub mod links;
