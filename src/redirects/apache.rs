//! The Apache writer: one file to include at server level (a `<VirtualHost>` per site for
//! its hosts, aliases and AKA hosts, using mod_rewrite and mod_headers) plus, beside it, a
//! `txt:` RewriteMap per site and the robots.txt and sitemap files.
//!
//! The lookup key is the one nginx builds ([`super::nginx::request_key`]): the raw path
//! from the request line without trailing slashes, then each significant parameter, all
//! lower-cased by `int:tolower`. Map values hold no spaces (`txt:` maps split on them):
//! `301|URL`, `410`, `410|ARCHIVE-URL`, `404`. Everything from URLs and titles is escaped for
//! the directive it sits in, and lines with control characters are left out and reported.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::canonical::{SignificantParams, section_regex};
use crate::config::site::{GlobalRule, Site};

use super::bouncer;
use super::nginx;
use super::{Outcome, Table};

/// The generated configuration: the file to include, and the files it refers to.
pub type Output = nginx::Output;

/// Where the virtual hosts listen and where their files go.
pub type Options = nginx::Options;

/// A regex literal for mod_rewrite (PCRE), with `%` and `$` kept from expansion.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' || !c.is_ascii() {
            out.push(c);
        } else if c == ' ' {
            out.push_str("\\x20");
        } else if c == '"' {
            out.push_str("\\x22");
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// A map value with nothing `txt:` maps or mod_rewrite would read as syntax. An archived
/// page with a suggested page is `410s|SUGGESTED|ARCHIVE-URL` (the archive URL may be empty:
/// Bouncer's link), the suggestion escaped for HTML and without `|`.
fn map_value(outcome: &Outcome, suggested: Option<&str>) -> Option<String> {
    let value = match (outcome, suggested) {
        (Outcome::Redirect { new_url }, _) => format!("301|{new_url}"),
        (Outcome::Archive { archive_url }, Some(suggested)) => format!(
            "410s|{}|{}",
            html_ascii(&bouncer::escape_html(suggested)).replace('|', "&#124;"),
            archive_url.as_deref().unwrap_or("")
        ),
        (
            Outcome::Archive {
                archive_url: Some(u),
            },
            None,
        ) => format!("410|{u}"),
        (Outcome::Archive { archive_url: None }, None) | (Outcome::Unresolved, _) => {
            "410".to_owned()
        }
        (Outcome::NotFound | Outcome::Global { .. }, _) => "404".to_owned(),
    };
    (!value.chars().any(|c| c.is_whitespace() || c.is_control())).then_some(value)
}

/// Non-ASCII as character references: Apache labels error pages ISO-8859-1.
fn html_ascii(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    for c in html.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "&#{};", c as u32);
        }
    }
    out
}

/// An `E=` flag setting `name` to a piece of HTML, for a flags field in single quotes (the
/// HTML has spaces and double quotes): nothing in it that mod_rewrite would read as the
/// closing quote, a flag separator, a back-reference or a variable.
fn html_env_flag(name: &str, html: &str) -> String {
    let mut out = format!("E={name}:");
    for c in html_ascii(html).chars() {
        match c {
            '\n' | '\r' => {}
            ',' => out.push_str("&#44;"),
            '%' => out.push_str("&#37;"),
            '$' => out.push_str("&#36;"),
            '\\' => out.push_str("&#92;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// HTML for an ErrorDocument string: one line, and nothing Apache's expression strings
/// read (`%`, `$`, `\`, `"`) left as itself.
/// Non-ASCII becomes character references too: Apache labels error pages ISO-8859-1.
fn error_document_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    for c in html.chars() {
        match c {
            '\n' | '\r' => {}
            '%' => out.push_str("&#37;"),
            '$' => out.push_str("&#36;"),
            '\\' => out.push_str("&#92;"),
            '"' => out.push_str("\\\""),
            c if !c.is_ascii() => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes the configuration for the sites' tables.
pub fn write(tables: &[(&Site, &Table)], options: &Options) -> Output {
    let mut out = Output::default();
    let _ = writeln!(
        out.conf,
        "# Redirects for {} legacy site(s), written by phe-migrate {}.\n\
         # Include this file at server level (outside any <VirtualHost>); it needs mod_rewrite\n\
         # and mod_headers (a2enmod rewrite headers) and Apache 2.4.13 or later. It answers as\n\
         # GOV.UK's Bouncer does: 301 to the new page, 410 with a link to the UK Government Web\n\
         # Archive, 404 with the same link, robots.txt and sitemap.xml. The maps and files it\n\
         # names sit in {} (written beside this file as its name with .d added).\n\
         <Directory \"{}\">\n    Require all granted\n</Directory>",
        tables.len(),
        env!("CARGO_PKG_VERSION"),
        options.assets.display(),
        options.assets.display()
    );
    for (site, table) in tables {
        write_site(site, table, options, &mut out);
    }
    out
}

fn write_site(site: &Site, table: &Table, options: &Options, out: &mut Output) {
    let id = site
        .abbr
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect::<String>();
    let lower_id = id.to_ascii_lowercase();
    let params = &site.significant_params;
    let keys = nginx::lookup_keys(
        site,
        table,
        "Apache",
        "its target holds spaces or control characters: left out of the Apache map",
        |entry| map_value(&entry.outcome, entry.suggested_url.as_deref()),
        &mut out.findings,
    );
    let map_path = options.assets.join(format!("{lower_id}.map"));
    let mut map = String::with_capacity(keys.len() * 96);
    for (key, value) in &keys {
        let _ = writeln!(map, "{key} {value}");
    }
    out.files.push((map_path.clone(), map.into_bytes()));

    let files_dir = options.assets.join(format!("{lower_id}.files"));
    let names = nginx::served_names(site);
    let paths = bouncer::sitemap_paths(table);
    for name in &names {
        out.files.push((
            files_dir.join(format!("{name}.sitemap.xml")),
            bouncer::sitemap_xml(name, paths.iter().copied()).into_bytes(),
        ));
        out.files.push((
            files_dir.join(format!("{name}.robots.txt")),
            bouncer::robots_txt(name).into_bytes(),
        ));
    }
    let archive_prefix = format!(
        "https://webarchive.nationalarchives.gov.uk/{}/http://",
        site.tna_timestamp.value
    );
    let conf = &mut out.conf;
    let (first, rest) = names
        .split_first()
        .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
    let _ = writeln!(
        conf,
        "\n# ---- {abbr}: {host} ({n} legacy paths) ----\n\
         <VirtualHost {listen}>\n    ServerName {first}\n    ServerAlias {aliases}\n\
         \x20   UseCanonicalName Off\n\
         \x20   Header always set Cache-Control \"{cache}\"\n\
         \x20   RewriteEngine On\n\
         \x20   RewriteMap phe_lc int:tolower\n\
         \x20   RewriteMap phe_{lower_id} \"txt:{map}\"\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_HOST:${{phe_lc:%{{SERVER_NAME}}}}]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_HOST}} ^aka-(.*)$\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_HOST:%1]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_HOST}} ^aka\\.(.*)$\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_HOST:www.%1]\n\
         \x20   # The raw request for archive links, unless a quote in it would end the page's href.\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_URI:/]\n\
         \x20   RewriteCond %{{THE_REQUEST}} ^\\S+\\s+([^\\s\\x22]+)\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_URI:%1]\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_ARCHIVE:{archive_prefix}%{{ENV:PHE_{id}_HOST}}%{{ENV:PHE_{id}_URI}}]\n\
         \x20   # The raw path without trailing slashes: the homepage is \"\".\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_PATH:]\n\
         \x20   RewriteCond %{{THE_REQUEST}} ^\\S+\\s+([^?\\s]*?)/*(?:\\?\\S*)?\\s\n\
         \x20   RewriteRule ^ - [E=PHE_{id}_PATH:%1]",
        abbr = site.abbr,
        host = site.host,
        n = table.entries.len(),
        listen = options.listen,
        aliases = if rest.is_empty() {
            first.to_owned()
        } else {
            rest.join(" ")
        },
        cache = bouncer::CACHE_CONTROL,
        map = map_path.display(),
    );
    let mut key = format!("%{{ENV:PHE_{id}_PATH}}");
    match params {
        SignificantParams::None => {}
        SignificantParams::All => key.push_str("?%{QUERY_STRING}"),
        SignificantParams::Only(list) => {
            let names = nginx::sorted(list);
            key.push('?');
            for (i, name) in names.iter().enumerate() {
                let _ = writeln!(
                    conf,
                    "    RewriteCond %{{QUERY_STRING}} (?:^|&)({}(?:=[^&]*)?)(?:&|$) [NC]\n\
                     \x20   RewriteRule ^ - [E=PHE_{id}_Q{i}:%1]",
                    regex_escape(name)
                );
                if i > 0 {
                    key.push('&');
                }
                let _ = write!(key, "%{{ENV:PHE_{id}_Q{i}}}");
            }
        }
    }
    let files = files_dir.display();
    let _ = writeln!(
        conf,
        "    RewriteRule ^ - [E=PHE_{id}_KEY:${{phe_lc:{key}}}]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_PATH}} ^/404$ [NC]\n\
         \x20   RewriteRule ^ - [R=404,L]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_PATH}} ^/410$ [NC]\n\
         \x20   RewriteRule ^ - [G,L]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_PATH}} ^/sitemap\\.xml$ [NC]\n\
         \x20   RewriteRule ^ \"{files}/%{{ENV:PHE_{id}_HOST}}.sitemap.xml\" [T=application/xml,END]\n\
         \x20   RewriteCond %{{ENV:PHE_{id}_PATH}} ^/robots\\.txt$ [NC]\n\
         \x20   RewriteRule ^ \"{files}/%{{ENV:PHE_{id}_HOST}}.robots.txt\" [T=text/plain,END]"
    );
    let redirect_flags = "[R=301,L,NE,QSD]";
    match &site.global {
        Some(GlobalRule::Archive) => {
            let _ = writeln!(conf, "    RewriteRule ^ - [G,L]");
        }
        Some(GlobalRule::Redirect { url, append_path }) => {
            let url = url.replace('%', "\\%").replace('$', "\\$");
            if *append_path {
                let _ = writeln!(
                    conf,
                    "    RewriteCond %{{THE_REQUEST}} ^\\S+\\s+(\\S+)\n    RewriteRule ^ \"{}%1\" {redirect_flags}",
                    url.trim_end_matches('/')
                );
            } else {
                let _ = writeln!(conf, "    RewriteRule ^ \"{url}\" {redirect_flags}");
            }
        }
        None => {
            let homepage = site.homepage.replace('%', "\\%").replace('$', "\\$");
            let suggested_var = format!("PHE_{id}_SUGGESTED");
            let suggestion = html_env_flag(
                &suggested_var,
                &bouncer::suggestion_template("@HREF@", "@TEXT@"),
            )
            .replace("@HREF@", "%1%2%3")
            .replace("@TEXT@", "%2");
            let _ = writeln!(
                conf,
                "    RewriteCond %{{ENV:PHE_{id}_PATH}} ^$\n\
                 \x20   RewriteRule ^ \"{homepage}\" {redirect_flags}\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^301\\|(.*)$\n\
                 \x20   RewriteRule ^ %1 {redirect_flags}\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^410s\\|((?:https?://)?)([^|]+?)(/?)\\|\n\
                 \x20   RewriteRule ^ - '[{suggestion}]'\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^410s\\|[^|]*\\|(.+)$\n\
                 \x20   RewriteRule ^ - [E=PHE_{id}_ARCHIVE:%1,G,L]\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^410s\\|\n\
                 \x20   RewriteRule ^ - [G,L]\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^410\\|(.*)$\n\
                 \x20   RewriteRule ^ - [E=PHE_{id}_ARCHIVE:%1,G,L]\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^410$\n\
                 \x20   RewriteRule ^ - [G,L]\n\
                 \x20   RewriteCond ${{phe_{lower_id}:%{{ENV:PHE_{id}_KEY}}|none}} ^404$\n\
                 \x20   RewriteRule ^ - [R=404,L]"
            );
            for section in &table.sections {
                let regex = section_regex(&regex_escape(&section.prefix));
                let fits = map_value(&section.outcome, section.suggested_url.as_deref()).is_some();
                let suggestion = section
                    .suggested_url
                    .as_deref()
                    .map(|s| html_env_flag(&suggested_var, &bouncer::suggestion_html(s)));
                let rule = match (&section.outcome, suggestion) {
                    (Outcome::Redirect { new_url }, _) if fits => {
                        format!(
                            "\"{}\" {redirect_flags}",
                            new_url.replace('%', "\\%").replace('$', "\\$")
                        )
                    }
                    (
                        Outcome::Archive {
                            archive_url: Some(u),
                        },
                        suggestion,
                    ) if fits => {
                        let u = u.replace('%', "\\%").replace('$', "\\$");
                        match suggestion {
                            // In quotes, an apostrophe in the link is written percent-encoded.
                            Some(s) => format!(
                                "- '[{s},E=PHE_{id}_ARCHIVE:{},G,L]'",
                                u.replace('\'', "\\%27")
                            ),
                            None => format!("- [E=PHE_{id}_ARCHIVE:{u},G,L]"),
                        }
                    }
                    (Outcome::Archive { .. }, Some(suggestion)) if fits => {
                        format!("- '[{suggestion},G,L]'")
                    }
                    (Outcome::Archive { .. } | Outcome::Unresolved, _) => "- [G,L]".to_owned(),
                    _ => continue,
                };
                let _ = writeln!(
                    conf,
                    "    RewriteCond %{{ENV:PHE_{id}_KEY}} {regex}\n    RewriteRule ^ {rule}"
                );
            }
            let _ = writeln!(conf, "    RewriteRule ^ - [R=404,L]");
        }
    }
    let archive_var = format!("%{{reqenv:PHE_{id}_ARCHIVE}}");
    // Bouncer's suggested page, when a rule set one, goes where its 410 page has it.
    let page_410 = bouncer::page_410(site, "@ARCHIVE@", None).replace(
        "</p>\n<p><a href=\"https://www.gov.uk/support\">",
        "</p>\n@SUGGESTED@<p><a href=\"https://www.gov.uk/support\">",
    );
    let page_410 = error_document_text(&page_410)
        .replace("@ARCHIVE@", &archive_var)
        .replace("@SUGGESTED@", &format!("%{{reqenv:PHE_{id}_SUGGESTED}}"));
    let page_404 = error_document_text(&bouncer::page_404(site, "@ARCHIVE@"))
        .replace("@ARCHIVE@", &archive_var);
    let _ = writeln!(
        conf,
        "    ErrorDocument 410 \"{page_410}\"\n    ErrorDocument 404 \"{page_404}\"\n</VirtualHost>"
    );
}

/// The assets folder for a configuration file: `<file>.d` beside it.
pub fn assets_dir(conf: &std::path::Path) -> PathBuf {
    nginx::assets_dir(conf)
}
