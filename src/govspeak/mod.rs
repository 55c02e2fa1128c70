//! Govspeak, GOV.UK's Markdown: legacy HTML becomes a Govspeak draft for editors
//! (`from_html`), and a draft becomes the HTML body of a content item (`to_html`).

pub mod from_html;
pub mod to_html;

pub use from_html::{Conversion, LinkTarget, Options, convert, with_attachments_listed};
pub use to_html::{AttachmentRef, Header, ImageRef, RenderOptions, Rendered, render};

/// Govspeak's devolved-content markers (`:wales:` text `:wales:`) and the
/// nation each names. Longer names first, so `england-wales` wins over `england`.
pub(crate) const NATIONS: &[(&str, &str)] = &[
    ("england-wales", "England and Wales"),
    ("northern-ireland", "Northern Ireland"),
    ("england", "England"),
    ("scotland", "Scotland"),
    ("wales", "Wales"),
    ("london", "London"),
];

/// Whether `text` starts with the devolved-content marker `:name:` (without building it).
pub(crate) fn starts_with_marker(text: &str, name: &str) -> bool {
    text.strip_prefix(':')
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.starts_with(':'))
}
