//! Canonical URLs: when two legacy URLs are the same page.
//!
//! One function decides this everywhere (crawl dedupe, mappings, hits folding, redirect
//! keys). [`Mode::Govuk`] reproduces GOV.UK Transition and Bouncer (optic14n's BLURI plus
//! Transition's `Site#canonical_path`) byte for byte, quirks included, so our keys match the
//! ones GOV.UK stores. [`Mode::Strict`] fixes the documented quirks: an upper-case scheme,
//! raw versus percent-encoded non-ASCII, dot segments, escaped unreserved characters.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Which canonicalisation rules to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// GOV.UK Transition/Bouncer, exactly.
    #[default]
    Govuk,
    /// GOV.UK's rules with its known quirks fixed.
    Strict,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Govuk => "govuk",
            Mode::Strict => "strict",
        }
    }
}

/// The query parameters that make two URLs different pages (Transition's `query_params`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignificantParams {
    /// No parameter is significant: every query string is dropped.
    #[default]
    None,
    /// Every parameter is significant (optic14n's `:all`).
    All,
    /// Only these (lower-case) names are significant.
    Only(Vec<String>),
}

impl SignificantParams {
    /// Parses Transition's colon list: `""` means none, `"*"` means all, `"rid:qn"` a list.
    pub fn parse(spec: &str) -> Self {
        let spec = spec.trim();
        if spec.is_empty() {
            SignificantParams::None
        } else if spec == "*" {
            SignificantParams::All
        } else {
            SignificantParams::Only(spec.split(':').map(str::to_owned).collect())
        }
    }

    /// The colon list this was parsed from (`*` for all, empty for none).
    pub fn to_spec(&self) -> String {
        match self {
            SignificantParams::None => String::new(),
            SignificantParams::All => "*".to_owned(),
            SignificantParams::Only(names) => names.join(":"),
        }
    }

    /// `query` as written with only its significant parameters, in their own spelling and
    /// order: a link to a page's web-archive copy, without the crawl's session id.
    pub fn significant_only(&self, query: &str) -> String {
        let significant = |pair: &&str| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
            let mut name = cgi_unescape(name);
            name.make_ascii_lowercase();
            !pair.is_empty() && self.keeps(&name)
        };
        let kept: Vec<&str> = query.split(['&', ';']).filter(significant).collect();
        kept.join("&")
    }

    /// Whether a parameter of this name makes a different page (names compare lower-cased).
    pub fn is_significant(&self, name: &str) -> bool {
        self.keeps(name.to_ascii_lowercase().as_bytes())
    }

    fn keeps(&self, key: &[u8]) -> bool {
        match self {
            SignificantParams::None => false,
            SignificantParams::All => true,
            SignificantParams::Only(names) => names.iter().any(|n| n.as_bytes() == key),
        }
    }
}

/// Why a string could not be canonicalised. Bouncer answers such requests with 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CanonicalError {
    /// No `scheme:` at the start.
    NoScheme,
    /// A scheme other than http, https or mailto.
    UnsupportedScheme(String),
    /// An http(s) URL with neither host nor path.
    MissingHierarchy,
    /// A port that is not a number.
    InvalidPort(String),
    /// A character no host may contain.
    InvalidHost(String),
    /// A path starting `//` with no authority.
    DoubleSlashWithoutAuthority,
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CanonicalError::NoScheme => write!(f, "not an absolute URL (no scheme)"),
            CanonicalError::UnsupportedScheme(s) => {
                write!(f, "unsupported scheme {s:?} (only http, https and mailto)")
            }
            CanonicalError::MissingHierarchy => write!(f, "URL has no host and no path"),
            CanonicalError::InvalidPort(p) => write!(f, "invalid port {p:?}"),
            CanonicalError::InvalidHost(h) => write!(f, "invalid character in host {h:?}"),
            CanonicalError::DoubleSlashWithoutAuthority => {
                write!(f, "path starts with // but the URL has no host")
            }
        }
    }
}

impl std::error::Error for CanonicalError {}

/// A canonical URL and the lookup key GOV.UK stores for it (path plus `?query`; empty for
/// the homepage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canonical {
    pub url: String,
    pub key: String,
}

/// Canonicalises URLs for one site: its significant query parameters and a [`Mode`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Canonicalizer {
    pub params: SignificantParams,
    pub mode: Mode,
}

/// The placeholder host Transition joins bare paths onto.
const PLACEHOLDER_ORIGIN: &str = "http://www.example.com";

/// Suffixes that make Transition read `host/path` (no scheme) as a URL rather than a path.
const TRANSITION_TLDS: [&str; 12] = [
    ".co.uk",
    ".com",
    ".gov.uk",
    ".ie",
    ".info",
    ".mod.uk",
    ".net",
    ".nhs.uk",
    ".org",
    ".org.uk",
    ".police.uk",
    ".tv",
];

impl Canonicalizer {
    pub fn new(params: SignificantParams, mode: Mode) -> Self {
        Canonicalizer { params, mode }
    }

    /// The canonical form of an absolute URL (optic14n's `BLURI#canonicalize!`).
    pub fn canonical_url(&self, url: &str) -> Result<String, CanonicalError> {
        let parts = self.canonical_parts(url)?;
        Ok(parts.to_url())
    }

    /// The lookup key for a path or URL: what Transition stores in `mappings.path` and
    /// Bouncer looks up (`Site#canonical_path`). Empty means the homepage.
    pub fn key(&self, path_or_url: &str) -> Result<String, CanonicalError> {
        let absolute = self.absolutise(path_or_url);
        let parts = self.canonical_parts(&absolute)?;
        Ok(parts.key())
    }

    /// Both the canonical URL and the key. A relative input has no canonical URL of its own,
    /// so it is resolved against `origin` (e.g. `http://www.hpa.org.uk`) when one is given.
    pub fn canonicalize(
        &self,
        input: &str,
        origin: Option<&str>,
    ) -> Result<(Option<String>, String), CanonicalError> {
        let key = self.key(input)?;
        let url = if self.looks_absolute(input) {
            Some(self.canonical_url(input)?)
        } else {
            match origin {
                Some(origin) => Some(self.canonical_url(&format!("{origin}{key}"))?),
                None => None,
            }
        };
        Ok((url, key))
    }

    /// Whether Transition would treat the input as a URL (not a path).
    fn looks_absolute(&self, input: &str) -> bool {
        match self.mode {
            Mode::Govuk => input.starts_with("http://") || input.starts_with("https://"),
            Mode::Strict => has_http_scheme(input.trim()),
        }
    }

    /// Turns a path or URL into the absolute URL Transition canonicalises.
    fn absolutise(&self, input: &str) -> String {
        match self.mode {
            Mode::Govuk => {
                if input.starts_with("http://") || input.starts_with("https://") {
                    input.to_owned()
                } else if !input.starts_with('/') && starts_with_domain(input, false) {
                    format!("http://{input}")
                } else {
                    ruby_file_join(PLACEHOLDER_ORIGIN, input)
                }
            }
            Mode::Strict => {
                let trimmed = input.trim();
                if has_http_scheme(trimmed) {
                    trimmed.to_owned()
                } else if !trimmed.starts_with('/') && starts_with_domain(trimmed, true) {
                    format!("http://{trimmed}")
                } else {
                    ruby_file_join(PLACEHOLDER_ORIGIN, trimmed)
                }
            }
        }
    }

    fn canonical_parts(&self, url: &str) -> Result<UrlParts, CanonicalError> {
        let cleaned = match self.mode {
            Mode::Govuk => escape_spaces(ruby_strip(url).to_lowercase()),
            Mode::Strict => escape_spaces(ruby_strip(url).nfc().collect::<String>().to_lowercase()),
        };
        let mut parts = UrlParts::parse(&cleaned)?;
        if parts.scheme == "https" {
            parts.scheme = "http".to_owned();
        }
        if self.mode == Mode::Strict {
            parts.path = remove_dot_segments(&decode_unreserved(&parts.path));
            parts.path = encode_non_ascii(&parts.path);
        }
        if parts.path.ends_with('/') {
            let kept = parts.path.trim_end_matches('/').len();
            parts.path.truncate(kept);
        }
        parts.path = escape_path(&parts.path);
        parts.query = canonical_query(parts.query.as_deref(), &self.params, self.mode);
        parts.fragment = None;
        Ok(parts)
    }
}

/// `true` when the string starts with `http://` or `https://`, ignoring case.
fn has_http_scheme(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Transition's `PathOrUrl.starts_with_a_domain?`: the first `/` segment ends in a known TLD.
fn starts_with_domain(input: &str, ignore_case: bool) -> bool {
    let first = input.split('/').next().unwrap_or("");
    if ignore_case {
        let first = first.to_ascii_lowercase();
        TRANSITION_TLDS.iter().any(|tld| first.ends_with(tld))
    } else {
        TRANSITION_TLDS.iter().any(|tld| first.ends_with(tld))
    }
}

/// A lookup key as a path: the homepage's key is empty, its path is `/`.
pub fn key_as_path(key: &str) -> &str {
    if key.is_empty() { "/" } else { key }
}

/// Whether a lookup key lies in the section a lower-cased `sections:` prefix names. A
/// prefix ending in `/` names a folder, and the folder's own page belongs to it: keys drop
/// the trailing slash, so `/atlas/` must cover the page `/atlas` (and `/atlas?area=x`) as
/// well as `/atlas/map`, but not `/atlases`.
pub fn in_section(key: &str, prefix: &str) -> bool {
    key.starts_with(prefix)
        || prefix.strip_suffix('/').is_some_and(|folder| {
            key.strip_prefix(folder)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
        })
}

/// [`in_section`] as a regular expression over the key, from the prefix already escaped
/// for the server's regex syntax (which leaves `/` as it is).
pub fn section_regex(escaped_prefix: &str) -> String {
    match escaped_prefix.strip_suffix('/') {
        Some(folder) => format!("^{folder}(?:/|\\?|$)"),
        None => format!("^{escaped_prefix}"),
    }
}

/// The one raw URL that stands for a key (its legacy URL, and the seed of its content_id),
/// chosen from every variant seen so that it does not depend on which variant the crawl
/// happened to fetch first: on the site's own host, then the fewest capitals, then the
/// shortest, then the first in byte order.
pub fn representative<'a>(
    variants: impl IntoIterator<Item = &'a str>,
    host: &str,
) -> Option<&'a str> {
    variants.into_iter().min_by_key(|raw| {
        let on_host = url::Url::parse(raw)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case(host)))
            .unwrap_or(false);
        let capitals = raw.bytes().filter(u8::is_ascii_uppercase).count();
        (!on_host, capitals, raw.len(), *raw)
    })
}

/// Ruby's `File.join(base, tail)` for two parts: exactly one `/` at the joint unless the
/// tail brings its own leading slashes (which are then kept as they are).
pub fn ruby_file_join(base: &str, tail: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    if tail.starts_with('/') {
        format!("{trimmed}{tail}")
    } else {
        format!("{trimmed}/{tail}")
    }
}

/// Ruby's `String#strip`: removes ASCII whitespace and NUL from both ends.
fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\0'))
}

/// An RFC 3986 split of a URL, without any normalisation (as Addressable parses).
#[derive(Clone, Debug, PartialEq, Eq)]
struct UrlParts {
    scheme: String,
    authority: Option<String>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

impl UrlParts {
    fn parse(s: &str) -> Result<UrlParts, CanonicalError> {
        let (before_fragment, fragment) = match s.find('#') {
            Some(i) => (&s[..i], Some(s[i + 1..].to_owned())),
            None => (s, None),
        };
        let (before_query, query) = match before_fragment.find('?') {
            Some(i) => (
                &before_fragment[..i],
                Some(before_fragment[i + 1..].to_owned()),
            ),
            None => (before_fragment, None),
        };
        let scheme_end = before_query
            .find(':')
            .filter(|&i| i > 0 && !before_query[..i].contains('/'))
            .ok_or(CanonicalError::NoScheme)?;
        let scheme = &before_query[..scheme_end];
        if !matches!(scheme, "http" | "https" | "mailto") {
            return Err(CanonicalError::UnsupportedScheme(scheme.to_owned()));
        }
        let rest = &before_query[scheme_end + 1..];
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => {
                let end = after.find('/').unwrap_or(after.len());
                (Some(after[..end].to_owned()), after[end..].to_owned())
            }
            None => (None, rest.to_owned()),
        };
        let parts = UrlParts {
            scheme: scheme.to_owned(),
            authority,
            path,
            query,
            fragment,
        };
        parts.validate()?;
        Ok(parts)
    }

    /// The checks Addressable makes before it accepts a URL.
    fn validate(&self) -> Result<(), CanonicalError> {
        let web = self.scheme != "mailto";
        let host = self.authority.as_deref().map(split_authority);
        if web && host.is_none_or(|(_, h, _)| h.is_empty()) && self.path.is_empty() {
            return Err(CanonicalError::MissingHierarchy);
        }
        if self.authority.is_none() && self.path.starts_with("//") {
            return Err(CanonicalError::DoubleSlashWithoutAuthority);
        }
        if let Some((_, host, port)) = host {
            if let Some(port) = port
                && !port.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(CanonicalError::InvalidPort(port.to_owned()));
            }
            let bad = |c: char| "<>{}/\\?#@\"".contains(c) || c.is_whitespace();
            let bracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
            let invalid = match bracketed {
                Some(inner) => !inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:".contains(c)),
                None => host.chars().any(bad),
            };
            if invalid {
                return Err(CanonicalError::InvalidHost(host.to_owned()));
            }
        }
        Ok(())
    }

    fn to_url(&self) -> String {
        let mut out = String::with_capacity(self.path.len() + 64);
        out.push_str(&self.scheme);
        out.push(':');
        if let Some(authority) = &self.authority {
            out.push_str("//");
            out.push_str(authority);
        }
        out.push_str(&self.path);
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        out
    }

    fn key(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{}", self.path, query),
            None => self.path.clone(),
        }
    }
}

/// Splits `userinfo@host:port` into its three parts.
fn split_authority(authority: &str) -> (Option<&str>, &str, Option<&str>) {
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let port_sep = if hostport.starts_with('[') {
        hostport
            .find(']')
            .and_then(|end| hostport[end..].starts_with("]:").then_some(end + 1))
    } else {
        hostport.rfind(':')
    };
    match port_sep {
        Some(i) => (userinfo, &hostport[..i], Some(&hostport[i + 1..])),
        None => (userinfo, hostport, None),
    }
}

/// optic14n's path escapes: `[ ] , " ' | ! £` become lower-case escapes, then `%7e` and
/// `%21` are turned back into `~` and `!`.
fn escape_path(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len() + 8);
    for c in path.chars() {
        match c {
            '[' => escaped.push_str("%5b"),
            ']' => escaped.push_str("%5d"),
            ',' => escaped.push_str("%2c"),
            '"' => escaped.push_str("%22"),
            '\'' => escaped.push_str("%27"),
            '|' => escaped.push_str("%7c"),
            '£' => escaped.push_str("%c2%a3"),
            _ => escaped.push(c),
        }
    }
    // `!` maps to `%21` and straight back, so it is never touched above; what remains is
    // optic14n's unescape of the two codes it restores.
    if escaped.contains("%7e") || escaped.contains("%21") {
        escaped.replace("%7e", "~").replace("%21", "!")
    } else {
        escaped
    }
}

/// Spaces as `%20`, copying only a string that has any (most have none).
fn escape_spaces(text: String) -> String {
    if text.contains(' ') {
        text.replace(' ', "%20")
    } else {
        text
    }
}

/// Every `%XX` escape decoded, as a server does before looking up a file or S3 a key; a
/// `%` that starts no escape stays, and bytes that are not UTF-8 become U+FFFD.
pub fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Strict mode: decodes escapes of unreserved characters (`%41` is `a`), as RFC 3986 §6.2.2.2
/// says every URL normaliser should, and escapes a `%` that starts no escape (`%4%45` would
/// otherwise decode to `%4e`, a new escape, and the key would change when read again).
fn decode_unreserved(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let Some(value) = hex_pair(bytes.get(i + 1..i + 3)) else {
                out.extend_from_slice(b"%25");
                i += 1;
                continue;
            };
            let c = value.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                out.push(c);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Strict mode: RFC 3986 §5.2.4 dot-segment removal.
fn remove_dot_segments(path: &str) -> String {
    if !path.split('/').any(|s| s == "." || s == "..") {
        return path.to_owned();
    }
    let absolute = path.starts_with('/');
    let segments: Vec<&str> = path.split('/').skip(usize::from(absolute)).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => trailing_slash = i == last,
            ".." => {
                out.pop();
                trailing_slash = i == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut joined = String::with_capacity(path.len());
    if absolute {
        joined.push('/');
    }
    joined.push_str(&out.join("/"));
    if trailing_slash && !joined.ends_with('/') {
        joined.push('/');
    }
    joined
}

/// Strict mode: raw non-ASCII and control characters become lower-case UTF-8 escapes, so
/// `/café` and `/caf%c3%a9` are one page, and a key never holds a raw NUL or newline (which
/// the whitespace strip would remove when the key is read again).
fn encode_non_ascii(path: &str) -> String {
    if path.bytes().all(|b| b.is_ascii() && !b.is_ascii_control()) {
        return path.to_owned();
    }
    let mut out = String::with_capacity(path.len() * 2);
    for c in path.chars() {
        if (c.is_ascii() && !c.is_ascii_control()) || c == '£' {
            // `£` keeps optic14n's own escape, applied later.
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02x}"));
            }
        }
    }
    out
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = pair?;
    let hi = (pair[0] as char).to_digit(16)?;
    let lo = (pair[1] as char).to_digit(16)?;
    Some((hi * 16 + lo) as u8)
}

/// Ruby's `CGI.unescape`: `+` is a space, `%XX` a byte; a malformed escape is left as is.
fn cgi_unescape(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match hex_pair(bytes.get(i + 1..i + 3)) {
                Some(value) => {
                    out.push(value);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Ruby's `URI.www_form_encode`: `*-._0-9A-Za-z` kept, space as `+`, the rest `%XX`.
fn www_form_encode(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Parses a query as Ruby's `CGI.parse` does, keeps the significant keys, sorts them by key
/// and serialises them; `None` when nothing is left.
fn canonical_query(query: Option<&str>, params: &SignificantParams, mode: Mode) -> Option<String> {
    let query = query?;
    // Keys in first-seen order, each with its values (a key without `=` has none).
    let mut pairs: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    for pair in query.split(['&', ';']) {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        let mut key = cgi_unescape(raw_key);
        let mut value = raw_value.map(cgi_unescape);
        if mode == Mode::Strict {
            // GOV.UK lowercases the raw string, so `%41` survives as `A`; strict lowercases
            // the decoded text, which makes canonicalisation idempotent.
            key.make_ascii_lowercase();
            if let Some(v) = value.as_mut() {
                v.make_ascii_lowercase();
            }
        }
        if !params.keeps(&key) {
            continue;
        }
        let index = match pairs.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                pairs.push((key, Vec::new()));
                pairs.len() - 1
            }
        };
        if let Some(value) = value {
            pairs[index].1.push(value);
        }
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::with_capacity(query.len());
    for (key, values) in &pairs {
        if !out.is_empty() {
            out.push('&');
        }
        if values.is_empty() {
            www_form_encode(key, &mut out);
        }
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            www_form_encode(key, &mut out);
            out.push('=');
            www_form_encode(value, &mut out);
        }
    }
    Some(out)
}

/// Bouncer's host lookup: strips an `aka-` prefix, turns `aka.` into `www.`, then lowercases.
/// The prefixes are matched before lowercasing, as Bouncer does.
pub fn bouncer_lookup_host(host: &str) -> String {
    let host = if let Some(rest) = host.strip_prefix("aka-") {
        rest.to_owned()
    } else if let Some(rest) = host.strip_prefix("aka.") {
        format!("www.{rest}")
    } else {
        host.to_owned()
    };
    host.to_lowercase()
}

/// Transition's AKA host for a legacy host: `www.x` becomes `aka.x`, anything else `aka-x`.
pub fn aka_hostname(host: &str) -> String {
    match host.strip_prefix("www.") {
        Some(rest) => format!("aka.{rest}"),
        None => format!("aka-{host}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_representative_url_does_not_depend_on_the_order_variants_were_found() {
        let variants = [
            "http://hpa.example/Topics/Typhoid/",
            "http://www.hpa.example/Topics/Typhoid/",
            "http://www.hpa.example/topics/typhoid/",
            "http://www.hpa.example/topics/typhoid",
        ];
        let mut reversed = variants;
        reversed.reverse();
        for order in [variants, reversed] {
            assert_eq!(
                super::representative(order, "www.hpa.example"),
                Some("http://www.hpa.example/topics/typhoid")
            );
        }
        assert_eq!(super::representative([], "www.hpa.example"), None);
    }

    use super::*;

    #[test]
    fn only_significant_parameters_are_kept_as_written() {
        let rid = SignificantParams::parse("rid:qn");
        assert_eq!(
            rid.significant_only("PHPSESSID=ab12&RID=101708&utm_source=x&qn=%C3%A9;Qn=2"),
            "RID=101708&qn=%C3%A9&Qn=2"
        );
        assert_eq!(rid.significant_only("PHPSESSID=ab12"), "");
        assert_eq!(rid.significant_only("r%49d=7&&rid"), "r%49d=7&rid");
        assert_eq!(SignificantParams::None.significant_only("rid=1"), "");
        assert_eq!(
            SignificantParams::All.significant_only("b=2&a=1"),
            "b=2&a=1"
        );
    }

    #[test]
    fn a_folder_section_covers_its_own_page() {
        for key in ["/atlas/map", "/atlas", "/atlas?area=e09", "/atlas/"] {
            assert!(in_section(key, "/atlas/"), "{key}");
        }
        for key in ["/atlases", "/atla", "/other/atlas"] {
            assert!(!in_section(key, "/atlas/"), "{key}");
        }
        // A prefix without a slash is a plain prefix; `/` covers the homepage's empty key.
        assert!(in_section("/atlases", "/atlas") && !in_section("/atla", "/atlas"));
        assert!(in_section("", "/") && in_section("/x", "/"));
        assert_eq!(section_regex("/a\\.b/"), "^/a\\.b(?:/|\\?|$)");
        assert_eq!(section_regex("/archive"), "^/archive");
    }

    fn key(input: &str, params: &str) -> String {
        Canonicalizer::new(SignificantParams::parse(params), Mode::Govuk)
            .key(input)
            .unwrap()
    }

    fn strict_key(input: &str, params: &str) -> String {
        Canonicalizer::new(SignificantParams::parse(params), Mode::Strict)
            .key(input)
            .unwrap()
    }

    #[test]
    fn repeated_and_valueless_keys() {
        assert_eq!(key("/p?b=2&a=1&b=1", "*"), "/p?a=1&b=2&b=1");
        assert_eq!(key("/p?a&a=1", "*"), "/p?a=1");
        assert_eq!(key("/p?a=", "*"), "/p?a=");
        assert_eq!(key("/p?&&", "*"), "/p");
    }

    #[test]
    fn govuk_quirks_are_kept() {
        // Upper-case scheme: Transition's check is case-sensitive.
        assert_eq!(
            key("HTTPS://www.hpa.org.uk/Topics", ""),
            "/https://www.hpa.org.uk/topics"
        );
        assert_eq!(key("/caf\u{e9}", ""), "/caf\u{e9}");
        assert_eq!(key("/a/../b", ""), "/a/../b");
        assert_eq!(key("/p?x=%41", "x"), "/p?x=A");
    }

    #[test]
    fn strict_fixes_quirks() {
        assert_eq!(strict_key("HTTPS://www.hpa.org.uk/Topics", ""), "/topics");
        assert_eq!(strict_key("/caf\u{e9}", ""), "/caf%c3%a9");
        assert_eq!(strict_key("/caf%C3%A9", ""), "/caf%c3%a9");
        assert_eq!(strict_key("/a/./b/../c/", ""), "/a/c");
        assert_eq!(strict_key("/%41bout", ""), "/about");
        assert_eq!(strict_key("/p?x=%41", "x"), "/p?x=a");
        assert_eq!(strict_key("  http://x.org/A", ""), "/a");
        // Found by fuzzing: keys that changed when read again.
        assert_eq!(strict_key("/%4%45", ""), "/%254e");
        assert_eq!(strict_key("/%254e", ""), "/%254e");
        assert_eq!(strict_key("\u{c}\0?", ""), "/%00");
        assert_eq!(strict_key("/%00", ""), "/%00");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("/../a"), "/a");
        assert_eq!(remove_dot_segments("/a/.."), "/");
        assert_eq!(remove_dot_segments("/a/b/."), "/a/b/");
    }

    #[test]
    fn invalid_urls() {
        let c = Canonicalizer::default();
        assert_eq!(
            c.canonical_url("ftp://x.org/"),
            Err(CanonicalError::UnsupportedScheme("ftp".into()))
        );
        assert_eq!(c.canonical_url("www.x.org"), Err(CanonicalError::NoScheme));
        assert!(matches!(
            c.canonical_url("http://x.org:8o/"),
            Err(CanonicalError::InvalidPort(_))
        ));
        assert!(matches!(
            c.canonical_url("http://x{y}.org/"),
            Err(CanonicalError::InvalidHost(_))
        ));
        assert_eq!(
            c.canonical_url("http:"),
            Err(CanonicalError::MissingHierarchy)
        );
    }

    #[test]
    fn aka_hosts() {
        assert_eq!(aka_hostname("www.hpa.org.uk"), "aka.hpa.org.uk");
        assert_eq!(bouncer_lookup_host("aka.hpa.org.uk"), "www.hpa.org.uk");
    }
}
