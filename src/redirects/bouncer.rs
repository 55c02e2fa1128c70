//! Bouncer's answers as pure functions: given the sites' tables and a request (Host header
//! and raw request target), the response GOV.UK's Bouncer would send, checked in Bouncer's
//! order. `serve` puts this on a socket, `verify` compares live servers with it, and the
//! nginx and Apache writers render the same 404 and 410 pages.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::canonical::{Canonicalizer, Mode, SignificantParams, bouncer_lookup_host, in_section};
use crate::config::site::{GlobalRule, Site, is_automatically_allowed_host};

use super::{Entry, Outcome, Section, Table, archive_link, host_of};

/// Bouncer's cap on sitemap entries (sitemaps.org's limit).
pub const SITEMAP_MAX: usize = 50_000;

/// Every response but a 500 carries this unless it sets its own.
pub const CACHE_CONTROL: &str = "public, max-age=3600";

/// The plain-text answer for a host no site claims.
pub const UNKNOWN_HOST_BODY: &str = "This host is not configured in Transition";

/// One HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub location: Option<String>,
    pub cache_control: Option<&'static str>,
    pub body: String,
}

impl Response {
    fn new(status: u16, content_type: Option<&'static str>, body: impl Into<String>) -> Self {
        Response {
            status,
            content_type,
            location: None,
            cache_control: (status != 500).then_some(CACHE_CONTROL),
            body: body.into(),
        }
    }

    fn redirect(location: &str) -> Self {
        Response {
            location: Some(location.to_owned()),
            ..Response::new(301, None, "")
        }
    }

    fn html(status: u16, body: String) -> Self {
        Response::new(status, Some("text/html; charset=utf-8"), body)
    }

    fn text(status: u16, body: impl Into<String>) -> Self {
        Response::new(status, Some("text/plain; charset=utf-8"), body)
    }
}

/// HTML-escapes text and attribute values as ERB's escaping does.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The name the 404 and 410 pages give the organisation: `homepage_title`, else the
/// Whitehall slug in title case ("public-health-england" → "Public Health England").
pub fn organisation_title(site: &Site) -> String {
    if let Some(title) = &site.homepage_title {
        return title.clone();
    }
    const SMALL: &[&str] = &["a", "an", "and", "at", "for", "in", "of", "on", "the", "to"];
    site.whitehall_slug
        .split('-')
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && SMALL.contains(&w) {
                w.to_owned()
            } else {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

const PAGE_STYLE: &str = "body{font-family:arial,sans-serif;margin:0;color:#0b0c0c}\
#banner{background:#0b0c0c;padding:10px 30px}#banner a{color:#fff;font-weight:bold;\
font-size:24px;text-decoration:none}#message{padding:30px;max-width:640px}\
.organisation{font-size:16px;margin-bottom:10px}.either-or{color:#505a5f}";

fn page(title: &str, organisation: &str, homepage: &str, css: &str, detail: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n\
         <div id=\"banner\" role=\"banner\"><a href=\"https://www.gov.uk\">GOV.UK</a></div>\n\
         <div id=\"message\" role=\"main\">\n<h2>\n\
         <div class=\"organisation {css}\"><a href=\"{homepage}\"><span>{organisation}</span></a></div>\n\
         {detail}\
         <p><a href=\"https://www.gov.uk/support\">Our support pages</a> have answers to the most \
         common questions about GOV.UK. You can use the \
         <a href=\"https://www.gov.uk/feedback/contact\">contact form</a> to ask a question, \
         report a problem or suggest an improvement.</p>\n</div>\n</body>\n</html>\n"
    )
}

/// The paragraphs Bouncer's 410 page adds for a suggested (non-government) page: its link,
/// shown without the scheme and a trailing slash.
pub fn suggestion_html(suggested: &str) -> String {
    let text = suggested
        .strip_prefix("https://")
        .or_else(|| suggested.strip_prefix("http://"))
        .unwrap_or(suggested);
    let text = text.strip_suffix('/').unwrap_or(text);
    suggestion_template(&escape_html(suggested), &escape_html(text))
}

/// [`suggestion_html`] around an href and a link text already escaped (or server variables
/// that hold them).
pub fn suggestion_template(href: &str, text: &str) -> String {
    format!(
        "<p class=\"either-or\">or</p>\n<p class=\"call-to-action\">Visit <a href=\"{href}\">{text}</a> \
         for more information on this topic.</p>\n"
    )
}

/// Bouncer's 410 page. `archive_href` is already escaped for an attribute (the nginx and
/// Apache writers put a server variable there).
pub fn page_410(site: &Site, archive_href: &str, suggested_url: Option<&str>) -> String {
    let title = escape_html(&organisation_title(site));
    let homepage = escape_html(&site.homepage);
    let furl = escape_html(site.homepage_furl.as_deref().unwrap_or(&site.homepage));
    let mut detail = format!(
        "<a href=\"{archive_href}\">This item has been archived</a>\n</h2>\n\
         <p class=\"either-or\">You can either</p>\n\
         <p class=\"call-to-action\"><a href=\"{archive_href}\">View the item you were looking for</a> \
         in the UK Government Web Archive</p>\n\
         <p class=\"either-or\">or</p>\n\
         <p class=\"call-to-action\">Visit the new {title} site at <a href=\"{homepage}\">{furl}</a></p>\n"
    );
    if let Some(suggested) = suggested_url {
        detail.push_str(&suggestion_html(suggested));
    }
    page(
        "410 - Page Archived",
        &title,
        &homepage,
        &escape_html(&site.whitehall_slug),
        &detail,
    )
}

/// Bouncer's 404 page, with the requested URL's web-archive link.
pub fn page_404(site: &Site, archive_href: &str) -> String {
    let detail = format!(
        "This page cannot be&nbsp;found\n</h2>\n\
         <p>Please check that you have entered the correct web address.</p>\n\
         <p>The information you need may be found on <a href=\"https://www.gov.uk\">GOV.UK</a> \
         or in <a href=\"{archive_href}\">UK Government Web Archive</a>.</p>\n"
    );
    page(
        "404 - Not Found",
        &escape_html(&organisation_title(site)),
        &escape_html(&site.homepage),
        &escape_html(&site.whitehall_slug),
        &detail,
    )
}

/// Bouncer's robots.txt: everything allowed, and where the sitemap is.
pub fn robots_txt(host: &str) -> String {
    format!("User-agent: *\nDisallow:\nSitemap: http://{host}/sitemap.xml\n")
}

/// Bouncer's sitemap: the redirected paths (at most [`SITEMAP_MAX`]) on the requested host.
pub fn sitemap_xml<'a>(host: &str, paths: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in paths.into_iter().take(SITEMAP_MAX) {
        let _ = writeln!(
            out,
            "<url><loc>{}</loc></url>",
            escape_html(&format!("http://{host}{path}"))
        );
    }
    out.push_str("</urlset>\n");
    out
}

/// The paths a site's sitemap lists: its redirected legacy paths, sorted.
pub fn sitemap_paths(table: &Table) -> Vec<&str> {
    table
        .entries
        .iter()
        .filter(|e| !e.key.is_empty() && matches!(e.outcome, Outcome::Redirect { .. }))
        .map(|e| e.key.as_str())
        .collect()
}

/// Bouncer's run-time check on a redirect: only the target's host matters.
pub fn allowed_at_run_time(url: &str, allowed: &HashSet<String>) -> bool {
    host_of(url).is_some_and(|h| is_automatically_allowed_host(&h) || allowed.contains(&h))
}

struct ServedSite {
    site: Site,
    canonicalizer: Canonicalizer,
    entries: HashMap<String, Entry>,
    sections: Vec<Section>,
    sitemap: Vec<String>,
}

/// Answers requests for a set of sites as Bouncer does.
pub struct Responder {
    sites: Vec<ServedSite>,
    by_host: HashMap<String, usize>,
    allowed: HashSet<String>,
    plain: Canonicalizer,
}

impl Responder {
    pub fn new(tables: Vec<(Site, Table)>, allowed: HashSet<String>) -> Responder {
        let mut by_host = HashMap::new();
        let mut sites = Vec::with_capacity(tables.len());
        for (i, (site, table)) in tables.into_iter().enumerate() {
            for host in site.hosts() {
                by_host.entry(host.to_ascii_lowercase()).or_insert(i);
            }
            let sitemap = sitemap_paths(&table)
                .into_iter()
                .map(str::to_owned)
                .collect();
            sites.push(ServedSite {
                canonicalizer: site.canonicalizer(Mode::Govuk),
                site,
                entries: table
                    .entries
                    .into_iter()
                    .map(|e| (e.key.clone(), e))
                    .collect(),
                sitemap,
                sections: table.sections,
            });
        }
        Responder {
            sites,
            by_host,
            allowed,
            plain: Canonicalizer::new(SignificantParams::None, Mode::Govuk),
        }
    }

    /// The hosts answered for (without their AKA forms), sorted.
    pub fn hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> = self.by_host.keys().map(String::as_str).collect();
        hosts.sort_unstable();
        hosts
    }

    /// The response to a request for `target` (path and query as sent) on `host_header`.
    pub fn respond(&self, host_header: &str, target: &str) -> Response {
        let host = host_header
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host_header, |(h, _)| h);
        let raw = format!("http://{host}{target}");
        let Ok(plain_key) = self.plain.key(&raw) else {
            return Response::text(400, "Bad Request");
        };
        match plain_key.as_str() {
            "/healthcheck/live" => return Response::text(200, "OK"),
            "/healthcheck/ready" => {
                return Response::new(200, Some("application/json"), "{\"status\":\"ok\"}");
            }
            _ => {}
        }
        let lookup = bouncer_lookup_host(host);
        let Some(served) = self.by_host.get(&lookup).map(|&i| &self.sites[i]) else {
            return Response::text(404, UNKNOWN_HOST_BODY);
        };
        let site = &served.site;
        let Ok(key) = served.canonicalizer.key(&raw) else {
            return Response::text(400, "Bad Request");
        };
        let link = || escape_html(&archive_link(site, &raw));
        match key.as_str() {
            "/404" => return Response::html(404, page_404(site, &link())),
            "/410" => return Response::html(410, page_410(site, &link(), None)),
            "/sitemap.xml" => {
                let body = sitemap_xml(
                    &host.to_ascii_lowercase(),
                    served.sitemap.iter().map(String::as_str),
                );
                return Response::new(200, Some("application/xml"), body);
            }
            "/robots.txt" => return Response::text(200, robots_txt(&host.to_ascii_lowercase())),
            _ => {}
        }
        if let Some(rule) = &site.global {
            return match rule {
                GlobalRule::Archive => Response::html(410, page_410(site, &link(), None)),
                GlobalRule::Redirect { .. } => {
                    let answer = Outcome::Global { rule: rule.clone() }.answer(site, &raw);
                    self.checked_redirect(answer.location.as_deref().unwrap_or_default())
                }
            };
        }
        if key.is_empty() {
            return self.checked_redirect(&site.homepage);
        }
        let (outcome, suggested) = match served.entries.get(&key) {
            Some(entry) => (&entry.outcome, entry.suggested_url.as_deref()),
            None => match served.sections.iter().find(|s| in_section(&key, &s.prefix)) {
                Some(section) => (&section.outcome, section.suggested_url.as_deref()),
                None => return Response::html(404, page_404(site, &link())),
            },
        };
        let answer = outcome.answer(site, &raw);
        let href = escape_html(answer.archive_url.as_deref().unwrap_or_default());
        match outcome {
            Outcome::Redirect { new_url } => self.checked_redirect(new_url),
            Outcome::Archive { .. } | Outcome::Unresolved => {
                Response::html(410, page_410(site, &href, suggested))
            }
            Outcome::NotFound | Outcome::Global { .. } => {
                Response::html(404, page_404(site, &href))
            }
        }
    }

    fn checked_redirect(&self, url: &str) -> Response {
        if allowed_at_run_time(url, &self.allowed) {
            Response::redirect(url)
        } else {
            Response::text(
                501,
                format!("Refusing to redirect to non-whitelisted domain: {url}"),
            )
        }
    }
}
