//! The nginx writer: one file to include inside `http {}` (a server block per site, for its
//! hosts, aliases and AKA hosts) plus, beside it, a map file per site and the sitemaps.
//!
//! nginx cannot run Bouncer's canonicaliser, so each request's lookup key is built from
//! what nginx can do: the raw path with trailing slashes removed, then each significant
//! parameter (found case-insensitively in the query, the first occurrence) in a fixed order;
//! `map` compares exact keys case-insensitively, as Bouncer lower-cases. [`request_key`]
//! computes the same key in Rust, so every raw URL the table knows gets an entry under the
//! key nginx will compute for it, and unseen variants (extra parameters, other orders,
//! other case) land on the canonical entry. Sections become case-insensitive prefix
//! regexes, longest first.
//!
//! Every string that came from a URL, a title or a config is quoted: `"` and `\` escaped,
//! `$` written through a variable that holds a dollar sign, text in pages HTML-escaped, and
//! control characters refused, so no legacy URL can change the configuration.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::canonical::{SignificantParams, aka_hostname, section_regex};
use crate::config::site::{GlobalRule, Site};

use super::bouncer::{self, escape_html};
use super::{Finding, Outcome, Table, raw_parts};

/// The generated configuration: the file to include, and the files it refers to.
#[derive(Debug, Default)]
pub struct Output {
    pub conf: String,
    /// Absolute paths (under the assets folder) and their contents.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    pub findings: Vec<Finding>,
}

/// Where the server blocks listen (`80` unless told otherwise).
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: String,
    /// Absolute folder holding the map files and sitemaps.
    pub assets: PathBuf,
}

/// The lookup key nginx builds for a raw URL under this configuration (see the module doc).
pub fn request_key(raw: &str, params: &SignificantParams) -> String {
    let (_, target) = raw_parts(raw);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut key = path.trim_end_matches('/').to_owned();
    match params {
        SignificantParams::None => {}
        SignificantParams::All => {
            if let Some(q) = query {
                key.push('?');
                key.push_str(q);
            }
        }
        SignificantParams::Only(names) => {
            key.push('?');
            for (i, name) in sorted(names).iter().enumerate() {
                if i > 0 {
                    key.push('&');
                }
                if let Some(part) = query.and_then(|q| first_param(q, name)) {
                    key.push_str(part);
                }
            }
        }
    }
    key.to_ascii_lowercase()
}

pub(crate) fn sorted(names: &[String]) -> Vec<&str> {
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The first `name` or `name=value` part of a query, matching the name in any case.
fn first_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find(|part| {
        part.len() >= name.len()
            && part.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && matches!(part.as_bytes().get(name.len()), None | Some(b'='))
    })
}

/// `"` and `\` escaped for a double-quoted nginx string (where nothing else is special
/// but `$`, which only values interpolate).
fn escape_quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A double-quoted literal: map keys are never interpolated. `None` for control characters.
fn quote_literal(text: &str) -> Option<String> {
    (!text.chars().any(char::is_control)).then(|| format!("\"{}\"", escape_quoted(text)))
}

/// The forms of a canonical key a client may send raw: as it is, and with optic14n's
/// escapes (`%22` for `"`, `%7c` for `|`, ...) undone, as a non-browser client sends them.
pub(crate) fn key_forms(key: &str) -> Vec<String> {
    let mut raw = key.to_owned();
    for (escaped, c) in [
        ("%22", "\""),
        ("%27", "'"),
        ("%7c", "|"),
        ("%5b", "["),
        ("%5d", "]"),
        ("%2c", ","),
        ("%20", " "),
    ] {
        raw = raw.replace(escaped, c);
    }
    if raw == key || raw.contains(' ') {
        vec![key.to_owned()]
    } else {
        vec![key.to_owned(), raw]
    }
}

/// A double-quoted nginx string whose `$` are literal (through `dollar`, a variable holding
/// one). `None` for text with control characters, which no request can carry anyway.
fn quote(text: &str, dollar: &str) -> Option<String> {
    if text.chars().any(char::is_control) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => {
                out.push_str("${");
                out.push_str(dollar);
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// A quoted nginx string for text that is already HTML: newlines become `\n`, and `$`,
/// `\` and `{}` become character references, so the text holds no nginx syntax at all.
fn quote_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 2);
    out.push('"');
    for c in html.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("&#92;"),
            '$' => out.push_str("&#36;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes a literal for a PCRE regex.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' || !c.is_ascii() {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// A name nginx accepts in a variable: the site's abbreviation with anything else as `_`.
fn ident(abbr: &str) -> String {
    abbr.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The map value for an outcome: `301 URL`, `410`, `410 HREF [SUGGESTED]`, or `404`.
fn map_value(outcome: &Outcome, suggested: Option<&str>, dollar: &str) -> Option<String> {
    let suggested_html = suggested.map(|s| {
        bouncer::suggestion_html(s)
            .replace('\n', "")
            .replace('$', "&#36;")
    });
    let value = match outcome {
        Outcome::Redirect { new_url } => {
            return quote(&format!("301 {new_url}"), dollar);
        }
        Outcome::Archive { archive_url } => {
            let href = archive_url
                .as_deref()
                .map_or_else(|| "-".to_owned(), |u| escape_html(u).replace('$', "&#36;"));
            match (archive_url, &suggested_html) {
                (None, None) => "410".to_owned(),
                (_, Some(s)) => format!("410 {href} {s}"),
                (Some(_), None) => format!("410 {href}"),
            }
        }
        Outcome::Unresolved => "410".to_owned(),
        Outcome::NotFound | Outcome::Global { .. } => "404".to_owned(),
    };
    quote(&value, dollar)
}

/// The host names a site's server block answers to: its hosts and their AKA forms, sorted.
pub(crate) fn served_names(site: &Site) -> Vec<String> {
    let mut names: Vec<String> = site
        .hosts()
        .map(str::to_ascii_lowercase)
        .flat_map(|h| [aka_hostname(&h), h])
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every lookup key a server computing [`request_key`] will build for a URL the table
/// knows (its raw variants and the canonical key's forms), with the map value of its
/// outcome. `value_of` is `None` for an entry the server's map cannot hold, reported as
/// `unfit`; two URLs the server cannot tell apart with different outcomes are reported.
pub(crate) fn lookup_keys(
    site: &Site,
    table: &Table,
    server: &str,
    unfit: &str,
    value_of: impl Fn(&super::Entry) -> Option<String>,
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, String> {
    let mut keys: BTreeMap<String, (String, &str)> = BTreeMap::new();
    for entry in &table.entries {
        if entry.key.is_empty() || matches!(entry.key.as_str(), "/404" | "/410") {
            continue; // the homepage and the test pages are answered before the map
        }
        let Some(value) = value_of(entry) else {
            findings.push(Finding::warning(
                entry.raw_urls.first().map_or(entry.key.as_str(), |s| s),
                unfit,
            ));
            continue;
        };
        let canonical: Vec<String> = key_forms(&entry.key)
            .into_iter()
            .map(|k| format!("http://{}{k}", site.host))
            .collect();
        for raw in canonical.iter().chain(&entry.raw_urls) {
            let key = request_key(raw, &site.significant_params);
            if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                continue; // the homepage, or a key no request line can carry
            }
            match keys.get(&key) {
                Some((existing, by)) if *existing != value => findings.push(Finding::warning(
                    raw.clone(),
                    format!(
                        "{server} sees this URL as {key:?}, like {by}, which has another outcome: \
                         {server} will answer it as {by}"
                    ),
                )),
                Some(_) => {}
                None => {
                    keys.insert(key, (value.clone(), entry.key.as_str()));
                }
            }
        }
    }
    keys.into_iter().map(|(k, (v, _))| (k, v)).collect()
}

/// Writes the configuration for the sites' tables.
pub fn write(tables: &[(&Site, &Table)], options: &Options) -> Output {
    let mut out = Output::default();
    let longest_key = tables
        .iter()
        .flat_map(|(_, t)| {
            t.entries
                .iter()
                .flat_map(|e| e.raw_urls.iter().map(String::len))
        })
        .max()
        .unwrap_or(0);
    let keys: usize = tables
        .iter()
        .map(|(_, t)| {
            t.entries
                .iter()
                .map(|e| e.raw_urls.len() + 1)
                .sum::<usize>()
        })
        .sum();
    let bucket = (longest_key + 64).next_power_of_two().max(128);
    let max_size = (keys * 2).next_power_of_two().max(4096);
    let conf = &mut out.conf;
    let _ = writeln!(
        conf,
        "# Redirects for {} legacy site(s), written by phe-migrate {}.\n\
         # Include this file inside nginx's http {{}} block. It answers as GOV.UK's Bouncer does:\n\
         # 301 to the new page, 410 with a link to the UK Government Web Archive, 404 with the same\n\
         # link, robots.txt and sitemap.xml. The map files and sitemaps it names sit in\n\
         # {} (written beside this file as its name with .d added).\n\
         #\n\
         # The maps need hash sizes at least this large; if your http {{}} block sets them\n\
         # already, keep the larger values and remove these two lines.\n\
         map_hash_max_size {max_size};\n\
         map_hash_bucket_size {bucket};\n",
        tables.len(),
        env!("CARGO_PKG_VERSION"),
        options.assets.display()
    );
    for (site, table) in tables {
        write_site(site, table, options, &mut out);
    }
    out
}

fn write_site(site: &Site, table: &Table, options: &Options, out: &mut Output) {
    let id = format!("phe_{}", ident(&site.abbr));
    let dollar = format!("{id}_dollar");
    let params = &site.significant_params;
    let keys = lookup_keys(
        site,
        table,
        "nginx",
        "holds control characters: left out of the nginx map (no request can carry them)",
        |entry| map_value(&entry.outcome, entry.suggested_url.as_deref(), &dollar),
        &mut out.findings,
    );
    let map_path = options.assets.join(format!("{}.map", ident(&site.abbr)));
    let mut map = String::with_capacity(keys.len() * 96);
    for (key, value) in &keys {
        if let Some(k) = quote_literal(key) {
            let _ = writeln!(map, "{k} {value};");
        }
    }
    for section in &table.sections {
        if let Some(value) = map_value(&section.outcome, section.suggested_url.as_deref(), &dollar)
        {
            let regex = escape_quoted(&section_regex(&regex_escape(&section.prefix)));
            let _ = writeln!(map, "\"~*{regex}\" {value};");
        }
    }
    out.files.push((map_path.clone(), map.into_bytes()));

    // Sitemaps: one file per host name the server answers to.
    let sitemap_dir = options
        .assets
        .join(format!("{}.sitemaps", ident(&site.abbr)));
    let mut names: Vec<String> = Vec::new();
    for host in site.hosts() {
        let host = host.to_ascii_lowercase();
        names.push(host.clone());
        names.push(aka_hostname(&host));
    }
    names.sort();
    names.dedup();
    let paths = bouncer::sitemap_paths(table);
    for name in &names {
        out.files.push((
            sitemap_dir.join(format!("{name}.xml")),
            bouncer::sitemap_xml(name, paths.iter().copied()).into_bytes(),
        ));
    }

    let conf = &mut out.conf;
    let archive_prefix = format!(
        "https://webarchive.nationalarchives.gov.uk/{}/http://",
        site.tna_timestamp.value
    );
    let _ = writeln!(
        conf,
        "\n# ---- {abbr}: {host} ({n} legacy paths) ----\n\
         geo ${dollar} {{ default \"$\"; }}\n\
         # The raw path without trailing slashes: the homepage is \"\".\n\
         map $request_uri ${id}_path {{\n    \"~^(?<{id}_p>[^?]*?)/*(?:\\?.*)?$\" ${id}_p;\n}}\n\
         # The host Bouncer names in archive links: AKA hosts stand for the real ones.\n\
         map $host ${id}_host {{",
        abbr = site.abbr,
        host = site.host,
        n = table.entries.len(),
    );
    for host in site.hosts() {
        let host = host.to_ascii_lowercase();
        let _ = writeln!(conf, "    {} {host};", aka_hostname(&host));
    }
    let _ = writeln!(
        conf,
        "    default $host;\n}}\n\
         # The raw request for archive links, unless a quote in it would end the page's href.\n\
         map $request_uri ${id}_safe_uri {{\n    \"~^[^\\\"\\s]*$\" $request_uri;\n    default /;\n}}"
    );
    let mut key_source = format!("${id}_path");
    if let SignificantParams::Only(names) = params {
        key_source.push('?');
        for (i, name) in sorted(names).iter().enumerate() {
            let var = format!("{id}_q{i}");
            let _ = writeln!(
                conf,
                "map $args ${var} {{\n    \"~*(?:^|&)(?<{var}v>{}(?:=[^&]*)?)(?:&|$)\" ${var}v;\n    default \"\";\n}}",
                escape_quoted(&regex_escape(name))
            );
            if i > 0 {
                key_source.push('&');
            }
            key_source.push_str(&format!("${{{var}}}"));
        }
    } else if *params == SignificantParams::All {
        key_source.push_str("$is_args$args");
    }
    let _ = writeln!(
        conf,
        "map \"{key_source}\" ${id}_outcome {{\n    default 404;\n    include {};\n}}",
        map_path.display()
    );
    let names_line = names.join(" ");
    let _ = writeln!(
        conf,
        "server {{\n    listen {listen};\n    server_name {names_line};\n\
         \x20   add_header Cache-Control \"{cache}\" always;\n\
         \x20   set ${id}_archive \"{archive_prefix}${id}_host${id}_safe_uri\";\n\
         \x20   set ${id}_suggested \"\";\n\
         \x20   if (${id}_path ~* \"^/404$\") {{ rewrite ^ /.phe-404 last; }}\n\
         \x20   if (${id}_path ~* \"^/410$\") {{ rewrite ^ /.phe-410 last; }}\n\
         \x20   if (${id}_path ~* \"^/sitemap\\.xml$\") {{ rewrite ^ /.phe-sitemap last; }}\n\
         \x20   if (${id}_path ~* \"^/robots\\.txt$\") {{ rewrite ^ /.phe-robots last; }}",
        listen = options.listen,
        cache = bouncer::CACHE_CONTROL,
    );
    match &site.global {
        Some(GlobalRule::Archive) => {
            let _ = writeln!(conf, "    rewrite ^ /.phe-410 last;");
        }
        Some(GlobalRule::Redirect { url, append_path }) => {
            // Ruby's File.join, as Bouncer appends: one slash at the joint.
            let quoted = quote(url.trim_end_matches('/'), &dollar).unwrap_or_default();
            let target = if *append_path {
                format!(
                    "{}$request_uri\"",
                    quoted.strip_suffix('"').unwrap_or(&quoted)
                )
            } else {
                quote(url, &dollar).unwrap_or_default()
            };
            let _ = writeln!(conf, "    return 301 {target};");
        }
        None => {
            let _ = writeln!(
                conf,
                "    if (${id}_path = \"\") {{ return 301 {}; }}\n\
                 \x20   if (${id}_outcome ~ \"^301 (.*)$\") {{ return 301 $1; }}\n\
                 \x20   if (${id}_outcome ~ \"^410 (\\S+) ?(.*)$\") {{ set ${id}_archive $1; set ${id}_suggested $2; }}\n\
                 \x20   if (${id}_archive = \"-\") {{ set ${id}_archive \"{archive_prefix}${id}_host${id}_safe_uri\"; }}\n\
                 \x20   if (${id}_outcome ~ \"^410\") {{ rewrite ^ /.phe-410 last; }}\n\
                 \x20   rewrite ^ /.phe-404 last;",
                quote(&site.homepage, &dollar).unwrap_or_default()
            );
        }
    }
    let page_410 = bouncer::page_410(site, "@ARCHIVE@", None).replace(
        "</p>\n<p><a href=\"https://www.gov.uk/support\">",
        "</p>\n@SUGGESTED@<p><a href=\"https://www.gov.uk/support\">",
    );
    let page_404 = bouncer::page_404(site, "@ARCHIVE@");
    let with_vars = |page: &str| {
        quote_html(page)
            .replace("@ARCHIVE@", &format!("${id}_archive"))
            .replace("@SUGGESTED@", &format!("${id}_suggested"))
    };
    let _ = writeln!(
        conf,
        "    location = /.phe-410 {{ internal; default_type \"text/html; charset=utf-8\"; return 410 {}; }}\n\
         \x20   location = /.phe-404 {{ internal; default_type \"text/html; charset=utf-8\"; return 404 {}; }}\n\
         \x20   location = /.phe-robots {{ internal; default_type \"text/plain; charset=utf-8\"; return 200 \"User-agent: *\\nDisallow:\\nSitemap: http://$host/sitemap.xml\\n\"; }}\n\
         \x20   location = /.phe-sitemap {{ internal; default_type application/xml; root {}; try_files /$host.xml =404; }}\n\
         }}",
        with_vars(&page_410),
        with_vars(&page_404),
        sitemap_dir.display()
    );
}

/// What in a folder's path a configuration could not name unquoted: nginx and Apache
/// split on spaces, end a directive at `;`, expand `$` and `%{`, and read quotes and
/// braces as syntax, so the folder's path may hold none of them.
pub fn unsafe_path_char(path: &Path) -> Option<String> {
    let text = path.to_string_lossy();
    text.chars()
        .find(|c| {
            !(c.is_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | '@' | ',' | '=' | '~'))
        })
        .map(|c| match c {
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("the control character {c:?}"),
            c => format!("{c:?}"),
        })
}

/// The assets folder for a configuration file: `<file>.d` beside it.
pub fn assets_dir(conf: &Path) -> PathBuf {
    let mut name = conf
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".d");
    conf.with_file_name(name)
}
