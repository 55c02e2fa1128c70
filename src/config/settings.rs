//! Our own sections of a site config, `crawl:` and `content:`. Every setting has a default,
//! so GOV.UK's transition-config files work unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Whether to obey robots.txt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotsPolicy {
    #[default]
    Obey,
    Ignore,
}

/// What to do with linked files (PDF, spreadsheets, documents).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentPolicy {
    /// Record type, size and date from a HEAD request (GET when HEAD is refused).
    #[default]
    Head,
    /// Download bodies too, up to `attachment_max_bytes`.
    Download,
    /// Record the link only.
    Skip,
}

/// A size in bytes, written as a number or with a unit (`20MB`, `512 KiB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<ByteSize, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size (write e.g. 20MB or 1048576)"))?;
        let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            other => {
                return Err(format!(
                    "unknown size unit {other:?} (use B, KB, MB, GB, KiB, MiB or GiB)"
                ));
            }
        };
        Ok(ByteSize((number * factor as f64) as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(t) => ByteSize::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// The descriptive User-Agent sent by default: legacy site owners can see who is calling.
pub fn default_user_agent() -> String {
    format!(
        "phe-migrate/{} (GOV.UK migration crawler; +https://www.gov.uk/government/organisations/public-health-england)",
        env!("CARGO_PKG_VERSION")
    )
}

/// `crawl:` — how to crawl the legacy site. The defaults are gentle on old servers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrawlSettings {
    /// Extra start points (paths, or URLs on the site's hosts) besides the homepage.
    pub seeds: Vec<String>,
    /// Sitemaps to read besides those robots.txt names (paths or URLs).
    pub sitemaps: Vec<String>,
    /// Only crawl URLs whose path and query match one of these globs (all when empty).
    pub include: Vec<String>,
    /// Never crawl URLs whose path and query match one of these globs.
    pub exclude: Vec<String>,
    pub max_pages: u64,
    pub max_depth: u32,
    /// Requests in flight at once to one host.
    pub concurrency: u32,
    /// Pause between two requests to one host, in milliseconds.
    pub delay_ms: u64,
    pub timeout_secs: u64,
    /// Retries of a transient failure (timeout, reset, 5xx, 429) before it is recorded.
    pub retries: u32,
    pub robots: RobotsPolicy,
    /// The agent name robots.txt rules are matched against, and the User-Agent header.
    pub user_agent: String,
    pub attachments: AttachmentPolicy,
    pub attachment_max_bytes: ByteSize,
    /// The largest page body kept; longer bodies are cut and the page flagged.
    pub max_body_bytes: ByteSize,
    /// Crawler-trap caps: distinct query strings per path, path segments, repeats of one
    /// segment, URL length.
    pub max_query_variants: u32,
    pub max_path_segments: u32,
    pub max_repeated_segments: u32,
    pub max_url_length: u32,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        CrawlSettings {
            seeds: Vec::new(),
            sitemaps: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            max_pages: 100_000,
            max_depth: 50,
            concurrency: 2,
            delay_ms: 250,
            timeout_secs: 30,
            retries: 3,
            robots: RobotsPolicy::Obey,
            user_agent: default_user_agent(),
            attachments: AttachmentPolicy::Head,
            attachment_max_bytes: ByteSize(50 << 20),
            max_body_bytes: ByteSize(20 << 20),
            max_query_variants: 5000,
            max_path_segments: 20,
            max_repeated_segments: 3,
            max_url_length: 2048,
        }
    }
}

/// The keys `crawl:` accepts, for typo suggestions.
pub const CRAWL_KEYS: &[&str] = &[
    "seeds",
    "sitemaps",
    "include",
    "exclude",
    "max_pages",
    "max_depth",
    "concurrency",
    "delay_ms",
    "timeout_secs",
    "retries",
    "robots",
    "user_agent",
    "attachments",
    "attachment_max_bytes",
    "max_body_bytes",
    "max_query_variants",
    "max_path_segments",
    "max_repeated_segments",
    "max_url_length",
];

/// `content:` — how to find the main content and metadata of a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentSettings {
    /// CSS selectors for the main content, tried in order; readability heuristics when none
    /// matches.
    pub main: Vec<String>,
    /// CSS selectors removed from the main content (breadcrumbs, "print this page", ...).
    pub strip: Vec<String>,
    /// Site-name text removed from the start or end of page titles (e.g. "HPA - ").
    pub title_strip: Vec<String>,
    /// Patterns for visible dates, e.g. `Last updated: %d %B %Y`.
    pub date_patterns: Vec<String>,
    /// The language of the pages when they do not say.
    pub language: String,
}

impl Default for ContentSettings {
    fn default() -> Self {
        ContentSettings {
            main: Vec::new(),
            strip: Vec::new(),
            title_strip: Vec::new(),
            date_patterns: Vec::new(),
            language: "en".to_owned(),
        }
    }
}

pub const CONTENT_KEYS: &[&str] = &["main", "strip", "title_strip", "date_patterns", "language"];

/// The strftime-style fields a date pattern may use.
pub const DATE_FIELDS: &[char] = &[
    'd', 'e', 'm', 'b', 'B', 'y', 'Y', 'H', 'M', 'S', 'A', 'a', '%',
];

/// Checks a date pattern; returns the first unknown `%` field.
pub fn check_date_pattern(pattern: &str) -> Result<(), String> {
    let mut chars = pattern.chars();
    let mut has_field = false;
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some(f) if DATE_FIELDS.contains(&f) => has_field |= f != '%',
                Some(f) => return Err(format!("unknown date field %{f}")),
                None => return Err("pattern ends with a lone %".to_owned()),
            }
        }
    }
    if has_field {
        Ok(())
    } else {
        Err("pattern has no date field such as %d, %B or %Y".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(ByteSize::parse("20MB"), Ok(ByteSize(20_000_000)));
        assert_eq!(ByteSize::parse("1 MiB"), Ok(ByteSize(1 << 20)));
        assert_eq!(ByteSize::parse("512"), Ok(ByteSize(512)));
        assert!(ByteSize::parse("lots").is_err());
        assert!(ByteSize::parse("3 parsecs").is_err());
    }

    #[test]
    fn date_patterns() {
        assert!(check_date_pattern("Last updated: %d %B %Y").is_ok());
        assert!(check_date_pattern("%Q").is_err());
        assert!(check_date_pattern("no fields").is_err());
    }
}
