//! What the crawler may fetch: the site's own hosts only, the include/exclude globs, and
//! the crawler-trap caps (URL length, path segments, repeated segments). Pure functions.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use url::Url;

use crate::config::Site;
use crate::error::{Error, Result};

/// Why a URL was recorded but not fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    Robots,
    Excluded,
    NotIncluded,
    MaxDepth,
    MaxPages,
    TrapUrlLength,
    TrapPathSegments,
    TrapRepeatedSegments,
    TrapQueryVariants,
    AttachmentsSkipped,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Robots => "robots",
            SkipReason::Excluded => "excluded",
            SkipReason::NotIncluded => "not_included",
            SkipReason::MaxDepth => "max_depth",
            SkipReason::MaxPages => "max_pages",
            SkipReason::TrapUrlLength => "trap:url_length",
            SkipReason::TrapPathSegments => "trap:path_segments",
            SkipReason::TrapRepeatedSegments => "trap:repeated_segments",
            SkipReason::TrapQueryVariants => "trap:query_variants",
            SkipReason::AttachmentsSkipped => "attachments_skipped",
        }
    }

    pub fn parse(s: &str) -> Option<SkipReason> {
        ALL_REASONS.iter().copied().find(|r| r.as_str() == s)
    }

    pub fn is_trap(self) -> bool {
        self.as_str().starts_with("trap:")
    }
}

pub const ALL_REASONS: [SkipReason; 10] = [
    SkipReason::Robots,
    SkipReason::Excluded,
    SkipReason::NotIncluded,
    SkipReason::MaxDepth,
    SkipReason::MaxPages,
    SkipReason::TrapUrlLength,
    SkipReason::TrapPathSegments,
    SkipReason::TrapRepeatedSegments,
    SkipReason::TrapQueryVariants,
    SkipReason::AttachmentsSkipped,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// On the site and within its rules.
    Crawl,
    /// Another host (or scheme): recorded as an outbound link, never fetched.
    OffSite,
    Skip(SkipReason),
}

/// A site's crawl boundary.
pub struct Scope {
    hosts: Vec<String>,
    include: Option<GlobSet>,
    exclude: GlobSet,
    max_url_length: usize,
    max_path_segments: usize,
    max_repeated_segments: usize,
}

impl Scope {
    pub fn new(site: &Site) -> Result<Scope> {
        let build = |patterns: &[String]| -> Result<GlobSet> {
            let mut set = GlobSetBuilder::new();
            for p in patterns {
                let glob = GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| {
                        Error::Other(format!(
                            "{}: crawl pattern {p:?}: {e}",
                            site.source.display()
                        ))
                    })?;
                set.add(glob);
            }
            set.build().map_err(|e| Error::Other(e.to_string()))
        };
        let crawl = &site.crawl;
        Ok(Scope {
            hosts: site.hosts().map(str::to_owned).collect(),
            include: if crawl.include.is_empty() {
                None
            } else {
                Some(build(&crawl.include)?)
            },
            exclude: build(&crawl.exclude)?,
            max_url_length: crawl.max_url_length as usize,
            max_path_segments: crawl.max_path_segments as usize,
            max_repeated_segments: crawl.max_repeated_segments as usize,
        })
    }

    pub fn is_site_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    pub fn check(&self, url: &Url) -> Verdict {
        if !matches!(url.scheme(), "http" | "https")
            || !url.host_str().is_some_and(|h| self.is_site_host(h))
        {
            return Verdict::OffSite;
        }
        if url.as_str().len() > self.max_url_length {
            return Verdict::Skip(SkipReason::TrapUrlLength);
        }
        let segments = url.path().split('/').filter(|s| !s.is_empty());
        let count = segments.clone().count();
        if count > self.max_path_segments {
            return Verdict::Skip(SkipReason::TrapPathSegments);
        }
        // No segment can repeat more often than there are segments.
        if count > self.max_repeated_segments {
            let mut sorted: Vec<&str> = segments.collect();
            sorted.sort_unstable();
            let most_repeated = sorted
                .chunk_by(|a, b| a.eq_ignore_ascii_case(b))
                .map(<[&str]>::len)
                .max()
                .unwrap_or(0);
            if most_repeated > self.max_repeated_segments {
                return Verdict::Skip(SkipReason::TrapRepeatedSegments);
            }
        }
        if self.exclude.is_empty() && self.include.is_none() {
            return Verdict::Crawl;
        }
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        if self.exclude.is_match(&target) {
            return Verdict::Skip(SkipReason::Excluded);
        }
        if let Some(include) = &self.include
            && url.path() != "/"
            && !include.is_match(&target)
        {
            return Verdict::Skip(SkipReason::NotIncluded);
        }
        Verdict::Crawl
    }
}

/// Whether a URL's path names an attachment (a document or data file a page links to, not a
/// page) by its extension.
pub fn is_attachment_path(url: &Url) -> bool {
    let path = url.path();
    let name = path.rsplit('/').next().unwrap_or("");
    if path.eq_ignore_ascii_case("/robots.txt") {
        return false;
    }
    // Extensions are short: lower-case one on the stack and match whole words.
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let mut lower = [0u8; 5];
    if ext.len() > lower.len() {
        return false;
    }
    lower[..ext.len()].copy_from_slice(ext.as_bytes());
    lower.make_ascii_lowercase();
    matches!(
        &lower[..ext.len()],
        b"pdf"
            | b"doc"
            | b"docx"
            | b"dot"
            | b"rtf"
            | b"odt"
            | b"xls"
            | b"xlsx"
            | b"xlsm"
            | b"csv"
            | b"ods"
            | b"ppt"
            | b"pptx"
            | b"odp"
            | b"zip"
            | b"gz"
            | b"tgz"
            | b"7z"
            | b"txt"
            | b"xml"
            | b"json"
            | b"kml"
            | b"kmz"
            | b"shp"
            | b"swf"
            | b"mdb"
            | b"accdb"
            | b"sav"
            | b"dta"
            | b"mp3"
            | b"mp4"
            | b"wmv"
            | b"avi"
    )
}

/// Whether a Content-Type is a web page we should parse for links.
pub fn is_html_type(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(mime.as_str(), "text/html" | "application/xhtml+xml" | "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::YamlDocument;

    fn site(extra: &str) -> Site {
        let text = format!(
            "site: demo_t\nwhitehall_slug: public-health-england\nhost: www.t.org.uk\naliases: [t.org.uk]\ntna_timestamp: 20140101000000\nhomepage: https://www.gov.uk/x\n{extra}"
        );
        let doc = YamlDocument::parse(std::path::Path::new("demo_t.yml"), text).unwrap();
        let report = crate::config::site::validate_site(&doc);
        report
            .site
            .unwrap_or_else(|| panic!("{:?}", report.diagnostics))
    }

    fn check(scope: &Scope, url: &str) -> Verdict {
        scope.check(&Url::parse(url).unwrap())
    }

    #[test]
    fn hosts_and_patterns() {
        let scope = Scope::new(&site("crawl:\n  exclude: ['/admin/*', '*print=1*']\n  max_repeated_segments: 2\n  max_path_segments: 6\n")).unwrap();
        assert_eq!(check(&scope, "http://www.t.org.uk/a"), Verdict::Crawl);
        assert_eq!(check(&scope, "https://T.org.uk/a"), Verdict::Crawl);
        assert_eq!(check(&scope, "http://other.org/a"), Verdict::OffSite);
        assert_eq!(check(&scope, "ftp://www.t.org.uk/a"), Verdict::OffSite);
        assert_eq!(
            check(&scope, "http://www.t.org.uk/ADMIN/x"),
            Verdict::Skip(SkipReason::Excluded)
        );
        assert_eq!(
            check(&scope, "http://www.t.org.uk/p?print=1"),
            Verdict::Skip(SkipReason::Excluded)
        );
        assert_eq!(
            check(&scope, "http://www.t.org.uk/a/more/more/more/"),
            Verdict::Skip(SkipReason::TrapRepeatedSegments)
        );
        assert_eq!(
            check(&scope, "http://www.t.org.uk/a/b/c/d/e/f/g"),
            Verdict::Skip(SkipReason::TrapPathSegments)
        );
        let long = format!("http://www.t.org.uk/{}", "x".repeat(3000));
        assert_eq!(
            check(&scope, &long),
            Verdict::Skip(SkipReason::TrapUrlLength)
        );
    }

    #[test]
    fn include_keeps_the_homepage() {
        let scope = Scope::new(&site("crawl:\n  include: ['/topics/*']\n")).unwrap();
        assert_eq!(check(&scope, "http://www.t.org.uk/"), Verdict::Crawl);
        assert_eq!(
            check(&scope, "http://www.t.org.uk/topics/a"),
            Verdict::Crawl
        );
        assert_eq!(
            check(&scope, "http://www.t.org.uk/news/a"),
            Verdict::Skip(SkipReason::NotIncluded)
        );
    }

    #[test]
    fn attachments() {
        let is = |u: &str| is_attachment_path(&Url::parse(u).unwrap());
        assert!(is("http://a.org/x/Report.PDF"));
        assert!(is("http://a.org/data/ind_01.xls?v=2"));
        assert!(!is("http://a.org/view.aspx?file=a.pdf"));
        assert!(!is("http://a.org/robots.txt"));
        assert!(!is("http://a.org/webc/HPAwebFile/HPAweb_C/1194947320000"));
        assert!(is_html_type("text/html; charset=windows-1252"));
        assert!(!is_html_type("application/pdf"));
    }
}
