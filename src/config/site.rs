//! One legacy site's config: GOV.UK transition-config's keys, exactly, plus our `crawl:` and
//! `content:` sections. Validation applies transition-config's and Transition's own rules,
//! and reports every problem with its `file:line:column`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::settings::{
    CONTENT_KEYS, CRAWL_KEYS, ContentSettings, CrawlSettings, check_date_pattern,
};
use super::yaml::YamlDocument;
use crate::canonical::{Canonicalizer, Mode, SignificantParams};
use crate::diagnostic::{Diagnostic, Position, did_you_mean};

/// The UK Government Web Archive capture used for archive links (`YYYYMMDDhhmmss`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TnaTimestamp {
    pub value: String,
    /// A placeholder, not a real capture: archive links will find nothing.
    pub stub: bool,
}

/// GOV.UK's documented placeholder for sites the web archive never captured.
pub const STUB_TNA_TIMESTAMP: &str = "20201010101010";

/// A site-wide rule that replaces per-path mappings (`global: =301 URL` or `=410`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalRule {
    Redirect { url: String, append_path: bool },
    Archive,
}

impl fmt::Display for GlobalRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobalRule::Redirect { url, append_path } => {
                write!(f, "=301 {url}")?;
                if *append_path {
                    write!(f, " (+path)")?;
                }
                Ok(())
            }
            GlobalRule::Archive => write!(f, "=410"),
        }
    }
}

/// How a partly transitioned site's supplier redirects (Transition's two values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialRedirectStrategy {
    ViaAka,
    Supplier,
}

/// A validated site config.
#[derive(Clone, Debug)]
pub struct Site {
    pub abbr: String,
    pub whitehall_slug: String,
    pub host: String,
    pub aliases: Vec<String>,
    pub tna_timestamp: TnaTimestamp,
    pub homepage: String,
    pub homepage_title: Option<String>,
    pub homepage_furl: Option<String>,
    pub extra_organisation_slugs: Vec<String>,
    pub global: Option<GlobalRule>,
    pub significant_params: SignificantParams,
    pub special_redirect_strategy: Option<SpecialRedirectStrategy>,
    pub crawl: CrawlSettings,
    pub content: ContentSettings,
    /// The file this site was read from.
    pub source: PathBuf,
    /// Where `host:` and each alias stand in that file, for estate-wide checks.
    pub host_positions: Vec<(String, Position)>,
}

impl Site {
    /// The primary host, then the aliases.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.host.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Whether `host` (any case) is one of the site's hosts.
    pub fn has_host(&self, host: &str) -> bool {
        self.hosts().any(|h| h.eq_ignore_ascii_case(host))
    }

    pub fn canonicalizer(&self, mode: Mode) -> Canonicalizer {
        Canonicalizer::new(self.significant_params.clone(), mode)
    }

    /// The UK Government Web Archive prefix for a host, as Bouncer builds it.
    pub fn archive_prefix(&self, host: &str) -> String {
        format!(
            "https://webarchive.nationalarchives.gov.uk/{}/http://{}",
            self.tna_timestamp.value, host
        )
    }
}

/// The top-level keys GOV.UK's transition-config defines, plus our two sections.
pub const SITE_KEYS: &[&str] = &[
    "site",
    "whitehall_slug",
    "host",
    "aliases",
    "tna_timestamp",
    "homepage",
    "homepage_title",
    "homepage_furl",
    "extra_organisation_slugs",
    "global",
    "global_redirect_append_path",
    "options",
    "special_redirect_strategy",
    "css",
    "crawl",
    "content",
];

/// Keys older configs carry that Transition's importer never read.
const LEGACY_KEYS: &[&str] = &[
    "title",
    "redirection_date",
    "furl",
    "other_organisation_slugs",
];

const REQUIRED_KEYS: &[(&str, &str)] = &[
    (
        "site",
        "the site's abbreviation, the same as the file name, e.g. `site: phe_chimat`",
    ),
    (
        "whitehall_slug",
        "the owning GOV.UK organisation, e.g. `whitehall_slug: public-health-england`",
    ),
    (
        "host",
        "the legacy site's main host name, e.g. `host: www.chimat.org.uk`",
    ),
    (
        "tna_timestamp",
        "the UK Government Web Archive capture to link to, e.g. `tna_timestamp: 20170302101115`",
    ),
    (
        "homepage",
        "the GOV.UK page `/` redirects to, e.g. `homepage: https://www.gov.uk/government/organisations/public-health-england`",
    ),
];

/// A YAML scalar of any type, kept as text (timestamps are written as bare numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single value (text or number)")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSite {
    site: Option<Scalar>,
    whitehall_slug: Option<Scalar>,
    host: Option<Scalar>,
    aliases: Option<Vec<Scalar>>,
    tna_timestamp: Option<Scalar>,
    homepage: Option<Scalar>,
    homepage_title: Option<Scalar>,
    homepage_furl: Option<Scalar>,
    extra_organisation_slugs: Option<Vec<Scalar>>,
    global: Option<Scalar>,
    global_redirect_append_path: Option<bool>,
    options: Option<Scalar>,
    special_redirect_strategy: Option<Scalar>,
    crawl: Option<CrawlSettings>,
    content: Option<ContentSettings>,
}

/// The outcome of reading one config file: the site when it is usable, and every problem.
#[derive(Debug)]
pub struct SiteReport {
    pub site: Option<Site>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The most retries a site may ask for: with backoff doubling to a minute, ten retries
/// already hold a URL for about four minutes.
pub const MAX_RETRIES: u32 = 10;

/// Reads and validates one site config file.
pub fn load_site(path: &Path) -> SiteReport {
    match YamlDocument::read(path) {
        Ok(doc) => validate_site(&doc),
        Err(d) => SiteReport {
            site: None,
            diagnostics: vec![d],
        },
    }
}

/// Validates a parsed site config.
pub fn validate_site(doc: &YamlDocument) -> SiteReport {
    let mut v = Validator {
        doc,
        diagnostics: Vec::new(),
    };
    let site = v.site();
    let has_errors = v.diagnostics.iter().any(Diagnostic::is_error);
    SiteReport {
        site: if has_errors { None } else { site },
        diagnostics: v.diagnostics,
    }
}

struct Validator<'a> {
    doc: &'a YamlDocument,
    diagnostics: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn error(&mut self, at: Position, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(&self.doc.path, at, message).with_help(help));
    }

    fn warning(&mut self, at: Position, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::warning(&self.doc.path, at, message).with_help(help));
    }

    fn site(&mut self) -> Option<Site> {
        self.check_duplicate_keys();
        self.check_keys(&[], SITE_KEYS);
        self.check_keys(&["crawl"], CRAWL_KEYS);
        self.check_keys(&["content"], CONTENT_KEYS);
        let raw: RawSite = match self.doc.deserialize() {
            Ok(raw) => raw,
            Err(d) => {
                // Every duplicate key is already reported above.
                if self.doc.duplicates.is_empty() {
                    self.diagnostics.push(d);
                }
                return None;
            }
        };
        for (key, example) in REQUIRED_KEYS {
            if !self.doc.contains(&[key]) || raw_value(&raw, key).is_none() {
                let at = if self.doc.contains(&[key]) {
                    self.doc.key_position(&[key])
                } else {
                    Position::new(1, 1)
                };
                self.error(
                    at,
                    format!("missing required key `{key}`"),
                    format!("add {example}"),
                );
            }
        }

        let abbr = raw.site.map(|s| s.0).unwrap_or_default();
        self.check_abbr(&abbr);
        let host = raw.host.map(|s| s.0).unwrap_or_default();
        let mut host_positions = Vec::new();
        if !host.is_empty() {
            let at = self.doc.value_position(&["host"]);
            self.check_hostname(&host, at);
            host_positions.push((host.to_ascii_lowercase(), at));
        }
        let aliases: Vec<String> = raw
            .aliases
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.0)
            .collect();
        for (i, alias) in aliases.iter().enumerate() {
            let at = self.doc.value_position(&["aliases", &i.to_string()]);
            self.check_hostname(alias, at);
            let lower = alias.to_ascii_lowercase();
            if let Some((_, first)) = host_positions.iter().find(|(h, _)| *h == lower) {
                let first = *first;
                self.error(
                    at,
                    format!(
                        "host name {alias} is listed twice in this site (first at line {})",
                        first.line
                    ),
                    "remove the repeated alias",
                );
            } else {
                host_positions.push((lower, at));
            }
        }

        let tna_timestamp = self.tna_timestamp(raw.tna_timestamp.map(|s| s.0));
        let homepage = raw.homepage.map(|s| s.0).unwrap_or_default();
        if !homepage.is_empty() {
            let at = self.doc.value_position(&["homepage"]);
            self.check_new_url(&homepage, at, "homepage");
        }
        let global = self.global(raw.global.map(|s| s.0), raw.global_redirect_append_path);
        let significant_params = self.options(raw.options.map(|s| s.0));
        let special_redirect_strategy =
            self.special_redirect_strategy(raw.special_redirect_strategy.map(|s| s.0));
        let whitehall_slug = raw.whitehall_slug.map(|s| s.0).unwrap_or_default();
        if !whitehall_slug.is_empty() {
            let at = self.doc.value_position(&["whitehall_slug"]);
            self.check_slug(&whitehall_slug, at);
        }
        let extra_organisation_slugs: Vec<String> = raw
            .extra_organisation_slugs
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.0)
            .collect();
        for (i, slug) in extra_organisation_slugs.iter().enumerate() {
            let at = self
                .doc
                .value_position(&["extra_organisation_slugs", &i.to_string()]);
            self.check_slug(slug, at);
        }
        let crawl = raw.crawl.unwrap_or_default();
        self.check_crawl(&crawl, &host_positions);
        let content = raw.content.unwrap_or_default();
        self.check_content(&content);

        Some(Site {
            abbr,
            whitehall_slug,
            host: host.to_ascii_lowercase(),
            aliases: aliases.iter().map(|a| a.to_ascii_lowercase()).collect(),
            tna_timestamp: tna_timestamp?,
            homepage,
            homepage_title: raw.homepage_title.map(|s| s.0),
            homepage_furl: raw.homepage_furl.map(|s| s.0),
            extra_organisation_slugs,
            global,
            significant_params,
            special_redirect_strategy,
            crawl,
            content,
            source: self.doc.path.clone(),
            host_positions,
        })
    }

    fn check_duplicate_keys(&mut self) {
        for dup in &self.doc.duplicates {
            self.diagnostics.push(dup.diagnostic(&self.doc.path));
        }
    }

    fn check_keys(&mut self, parent: &[&str], known: &[&str]) {
        for (key, at) in self.doc.keys(parent).to_vec() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let qualified = parent
                .iter()
                .map(|p| p.to_string())
                .chain([key.clone()])
                .collect::<Vec<_>>()
                .join(".");
            if parent.is_empty() && LEGACY_KEYS.contains(&key.as_str()) {
                self.warning(
                    at,
                    format!("`{key}` is an old key that GOV.UK Transition ignores"),
                    "remove it, or move what it says into homepage_title / homepage_furl",
                );
            } else if let Some(suggestion) = did_you_mean(&key, known) {
                self.error(
                    at,
                    format!("unknown key `{qualified}`"),
                    format!("did you mean `{suggestion}`?"),
                );
            } else {
                self.error(
                    at,
                    format!("unknown key `{qualified}`"),
                    format!("the keys allowed here are: {}", known.join(", ")),
                );
            }
        }
    }

    fn check_abbr(&mut self, abbr: &str) {
        if abbr.is_empty() {
            return;
        }
        let at = self.doc.value_position(&["site"]);
        let stem = self
            .doc
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if abbr != stem {
            self.error(
                at,
                format!("site `{abbr}` does not match the file name `{stem}`"),
                format!("rename the file to {abbr}.yml, or set `site: {stem}`; GOV.UK uses the abbreviation as the site's key"),
            );
        }
        if !abbr
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            self.error(
                at,
                format!("site abbreviation `{abbr}` may only use a-z, 0-9 and _"),
                "write it as <organisation>_<name>, e.g. phe_chimat",
            );
        }
    }

    fn check_hostname(&mut self, host: &str, at: Position) {
        let valid_chars = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
        let labels_ok = host
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !valid_chars || !labels_ok || !host.contains('.') {
            self.error(
                at,
                format!("{host:?} is an invalid hostname"),
                "give a bare host name such as www.example.org.uk: no scheme, path, port or spaces",
            );
        } else if host.bytes().any(|b| b.is_ascii_uppercase()) {
            self.error(
                at,
                format!("hostname {host} must be lowercase"),
                format!("write it as {}", host.to_ascii_lowercase()),
            );
        } else if host.starts_with("aka-") || host.starts_with("aka.") {
            self.warning(
                at,
                format!("{host} looks like a GOV.UK AKA host"),
                "list the real legacy host; Transition makes the aka- host itself",
            );
        }
    }

    fn tna_timestamp(&mut self, value: Option<String>) -> Option<TnaTimestamp> {
        let value = value?;
        let at = self.doc.value_position(&["tna_timestamp"]);
        if !is_valid_timestamp(&value) {
            self.error(
                at,
                format!("tna_timestamp {value:?} is not a YYYYMMDDhhmmss date and time"),
                "copy the 14-digit timestamp of the site's last good capture from the UK Government Web Archive",
            );
            return None;
        }
        let comment_says_stub = self
            .doc
            .line_comment(at.line)
            .is_some_and(|c| c.to_ascii_lowercase().contains("stub"));
        let stub = value == STUB_TNA_TIMESTAMP || comment_says_stub;
        if stub {
            self.warning(
                at,
                format!("tna_timestamp {value} is a stub: the web archive has no capture there, so archive links will lead nowhere"),
                "find the site's last capture at https://webarchive.nationalarchives.gov.uk/ and use its timestamp, or ask the archive to crawl the site before it closes",
            );
        }
        Some(TnaTimestamp { value, stub })
    }

    /// A URL we will send users to: absolute, with a scheme and a dotted host.
    fn check_new_url(&mut self, url: &str, at: Position, what: &str) -> bool {
        let Some(host) = url_host(url) else {
            self.error(
                at,
                format!("{what} {url:?} must be a full URL starting with http:// or https://"),
                "write the whole URL, e.g. https://www.gov.uk/government/organisations/public-health-england",
            );
            return false;
        };
        if !host.contains('.') {
            self.error(
                at,
                format!("{what} {url:?} has no valid host"),
                "write the whole URL, e.g. https://www.gov.uk/...",
            );
            return false;
        }
        if url.starts_with("http://") && host.ends_with("gov.uk") {
            self.warning(
                at,
                format!("{what} uses http:// for a GOV.UK host"),
                "use https://; GOV.UK serves every page over HTTPS",
            );
        }
        if !is_automatically_allowed_host(&host) {
            self.warning(
                at,
                format!("{what} host {host} is not a *.gov.uk, *.nhs.uk or *.mod.uk host"),
                "Bouncer refuses to redirect there (501) unless GOV.UK adds the host to its allow-list; get policy sign-off first",
            );
        }
        true
    }

    fn global(&mut self, value: Option<String>, append_path: Option<bool>) -> Option<GlobalRule> {
        let append_path_at = self.doc.value_position(&["global_redirect_append_path"]);
        let Some(value) = value else {
            if append_path == Some(true) {
                self.error(
                    append_path_at,
                    "global_redirect_append_path is set but there is no `global: =301 URL`",
                    "remove global_redirect_append_path, or add a global redirect",
                );
            }
            return None;
        };
        let at = self.doc.value_position(&["global"]);
        let mut parts = value.split_whitespace();
        let rule = match (parts.next(), parts.next(), parts.next()) {
            (Some("=410"), None, _) => Some(GlobalRule::Archive),
            (Some("=410"), Some(_), _) => {
                self.error(
                    at,
                    "a global archive (=410) takes no URL",
                    "write `global: =410`",
                );
                None
            }
            (Some("=301"), Some(url), None) => {
                if url.contains('?') && append_path == Some(true) {
                    self.error(
                        at,
                        "a global redirect URL may not contain `?` when global_redirect_append_path is set",
                        "remove the query string from the URL",
                    );
                }
                self.check_new_url(url, at, "global redirect")
                    .then(|| GlobalRule::Redirect {
                        url: url.to_owned(),
                        append_path: append_path.unwrap_or(false),
                    })
            }
            (Some("=301"), None, _) => {
                self.error(
                    at,
                    "a global redirect (=301) needs a URL",
                    "write `global: =301 https://www.gov.uk/...`",
                );
                None
            }
            _ => {
                self.error(
                    at,
                    format!("global must be `=301 URL` or `=410`, not {value:?}"),
                    "write `global: =301 https://www.gov.uk/...` to redirect every path, or `global: =410` to archive the whole site",
                );
                None
            }
        };
        if append_path == Some(true) && matches!(rule, Some(GlobalRule::Archive)) {
            self.error(
                append_path_at,
                "global_redirect_append_path only applies to a global redirect (=301)",
                "remove global_redirect_append_path",
            );
        }
        rule
    }

    fn options(&mut self, value: Option<String>) -> SignificantParams {
        let Some(value) = value else {
            return SignificantParams::None;
        };
        let at = self.doc.value_position(&["options"]);
        let Some(list) = value.trim().strip_prefix("--query-string") else {
            self.error(
                at,
                format!("options {value:?} is not understood"),
                "the only option is `--query-string a:b:c`, naming the significant query parameters",
            );
            return SignificantParams::None;
        };
        let list = list.trim();
        if list.is_empty() || list.contains(char::is_whitespace) {
            self.error(
                at,
                "--query-string needs one colon-separated list of parameter names",
                "write e.g. `options: --query-string rid:qn`",
            );
            return SignificantParams::None;
        }
        let names: Vec<&str> = list.split(':').collect();
        for name in &names {
            if name.is_empty() {
                self.error(
                    at,
                    format!("empty parameter name in {list:?}"),
                    "remove the extra colon",
                );
            } else if name.bytes().any(|b| b.is_ascii_uppercase()) {
                self.error(
                    at,
                    format!("query parameter `{name}` must be lowercase: URLs are lowercased before matching, so it would never match"),
                    format!("write it as `{}`", name.to_ascii_lowercase()),
                );
            } else if !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
            {
                self.error(
                    at,
                    format!("query parameter `{name}` has characters a parameter name cannot have"),
                    "give the parameter names exactly as they appear before `=` in the URLs",
                );
            }
        }
        SignificantParams::parse(list)
    }

    fn special_redirect_strategy(
        &mut self,
        value: Option<String>,
    ) -> Option<SpecialRedirectStrategy> {
        match value.as_deref()? {
            "via_aka" => Some(SpecialRedirectStrategy::ViaAka),
            "supplier" => Some(SpecialRedirectStrategy::Supplier),
            other => {
                let at = self.doc.value_position(&["special_redirect_strategy"]);
                self.error(
                    at,
                    format!("special_redirect_strategy {other:?} is not one of via_aka, supplier"),
                    "use via_aka when the supplier redirects some paths to the AKA host, supplier when it redirects to GOV.UK itself",
                );
                None
            }
        }
    }

    fn check_slug(&mut self, slug: &str, at: Position) {
        let ok = !slug.is_empty()
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            self.error(
                at,
                format!("{slug:?} is not a GOV.UK organisation slug"),
                "use the slug from the organisation's GOV.UK address, e.g. public-health-england",
            );
        }
    }

    fn check_crawl(&mut self, crawl: &CrawlSettings, hosts: &[(String, Position)]) {
        for (list, entries) in [("seeds", &crawl.seeds), ("sitemaps", &crawl.sitemaps)] {
            for (i, entry) in entries.iter().enumerate() {
                let at = self.doc.value_position(&["crawl", list, &i.to_string()]);
                if entry.starts_with('/') {
                    continue;
                }
                match url_host(entry) {
                    Some(host) if hosts.iter().any(|(h, _)| *h == host) => {}
                    Some(host) => self.error(
                        at,
                        format!("crawl.{list} entry {entry:?} is on {host}, which is not one of this site's hosts"),
                        "use a path such as /topics/, or add the host to aliases",
                    ),
                    None => self.error(
                        at,
                        format!("crawl.{list} entry {entry:?} is neither a path nor an http(s) URL"),
                        "start it with / (a path on the site) or http:// / https://",
                    ),
                }
            }
        }
        for (list, patterns) in [("include", &crawl.include), ("exclude", &crawl.exclude)] {
            for (i, pattern) in patterns.iter().enumerate() {
                if let Err(e) = globset::Glob::new(pattern) {
                    let at = self.doc.value_position(&["crawl", list, &i.to_string()]);
                    self.error(
                        at,
                        format!(
                            "crawl.{list} pattern {pattern:?} is not a valid glob: {}",
                            e.kind()
                        ),
                        "write a path glob such as /admin/* or *.pdf",
                    );
                }
            }
        }
        let at_least_one: [(&str, u64); 8] = [
            ("max_pages", crawl.max_pages),
            ("max_depth", u64::from(crawl.max_depth)),
            ("concurrency", u64::from(crawl.concurrency)),
            ("timeout_secs", crawl.timeout_secs),
            ("max_query_variants", u64::from(crawl.max_query_variants)),
            ("max_path_segments", u64::from(crawl.max_path_segments)),
            (
                "max_repeated_segments",
                u64::from(crawl.max_repeated_segments),
            ),
            ("max_url_length", u64::from(crawl.max_url_length)),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                let at = self.doc.value_position(&["crawl", key]);
                self.error(
                    at,
                    format!("crawl.{key} must be at least 1"),
                    "give a positive number, or remove the key to use the default",
                );
            }
        }
        if crawl.retries > MAX_RETRIES {
            let at = self.doc.value_position(&["crawl", "retries"]);
            self.error(
                at,
                format!(
                    "crawl.retries {} would hold a failing URL for hours (each wait doubles, up to a minute)",
                    crawl.retries
                ),
                format!("give at most {MAX_RETRIES}; 3 is the default"),
            );
        }
        if crawl.concurrency > 64 {
            let at = self.doc.value_position(&["crawl", "concurrency"]);
            self.warning(
                at,
                format!(
                    "crawl.concurrency {} is very high for a legacy server",
                    crawl.concurrency
                ),
                "old servers fall over under load; 2 to 8 is usually plenty",
            );
        }
        if crawl.user_agent.trim().is_empty() || crawl.user_agent.chars().any(char::is_control) {
            let at = self.doc.value_position(&["crawl", "user_agent"]);
            self.error(
                at,
                "crawl.user_agent must be one line of text",
                "name the crawler and a contact, e.g. phe-migrate (+https://www.gov.uk/phe)",
            );
        }
    }

    fn check_content(&mut self, content: &ContentSettings) {
        for (list, selectors) in [("main", &content.main), ("strip", &content.strip)] {
            for (i, selector) in selectors.iter().enumerate() {
                if let Err(e) = scraper::Selector::parse(selector) {
                    let at = self.doc.value_position(&["content", list, &i.to_string()]);
                    self.error(
                        at,
                        format!("content.{list} selector {selector:?} is not valid CSS: {e}"),
                        "write a CSS selector such as #content or td.main",
                    );
                }
            }
        }
        for (i, pattern) in content.date_patterns.iter().enumerate() {
            if let Err(e) = check_date_pattern(pattern) {
                let at = self
                    .doc
                    .value_position(&["content", "date_patterns", &i.to_string()]);
                self.error(
                    at,
                    format!("content.date_patterns entry {pattern:?}: {e}"),
                    "use %d, %e, %m, %b, %B, %y, %Y, %H, %M, %S, %a or %A, e.g. `Last updated: %d %B %Y`",
                );
            }
        }
    }
}

fn raw_value<'a>(raw: &'a RawSite, key: &str) -> Option<&'a str> {
    let value = match key {
        "site" => &raw.site,
        "whitehall_slug" => &raw.whitehall_slug,
        "host" => &raw.host,
        "tna_timestamp" => &raw.tna_timestamp,
        "homepage" => &raw.homepage,
        _ => return None,
    };
    value
        .as_ref()
        .map(|s| s.0.as_str())
        .filter(|s| !s.trim().is_empty())
}

/// `YYYYMMDDhhmmss` with a real calendar date and time.
pub fn is_valid_timestamp(value: &str) -> bool {
    if value.len() != 14 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let n = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (n(0..4), n(4..6), n(6..8));
    let (hour, minute, second) = (n(8..10), n(10..12), n(12..14));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1990..=2100).contains(&year)
        && (1..=days_in_month).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
}

/// The lower-cased host of an http(s) URL, if it is one.
pub fn url_host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let scheme_len = parsed.scheme().len();
    if !url[scheme_len..].starts_with("://") {
        return None;
    }
    parsed.host_str().map(str::to_ascii_lowercase)
}

/// GOV.UK's automatic allow-list: hosts ending `.gov.uk`, `.nhs.uk` or `.mod.uk`.
pub fn is_automatically_allowed_host(host: &str) -> bool {
    [".gov.uk", ".nhs.uk", ".mod.uk"]
        .iter()
        .any(|suffix| host.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert!(is_valid_timestamp("20140714084352"));
        assert!(is_valid_timestamp("20160229000000"));
        assert!(!is_valid_timestamp("20150229000000"));
        assert!(!is_valid_timestamp("2014071408435"));
        assert!(!is_valid_timestamp("20141314084352"));
        assert!(!is_valid_timestamp("20140714246000"));
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            url_host("https://www.GOV.uk/x").as_deref(),
            Some("www.gov.uk")
        );
        assert_eq!(url_host("www.gov.uk/x"), None);
        assert_eq!(url_host("ftp://www.gov.uk/x"), None);
        assert!(is_automatically_allowed_host("www.gov.uk"));
        assert!(!is_automatically_allowed_host("gov.uk"));
        assert!(!is_automatically_allowed_host("fingertips.phe.org.uk"));
    }
}
