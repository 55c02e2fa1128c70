//! Links out of a legacy page: anchors, image maps, frames, embedded objects, the canonical
//! link, and `<meta http-equiv="refresh">` redirects, all resolved against `<base href>`.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// What kind of element a link came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkTag {
    A,
    Area,
    Frame,
    Iframe,
    Embed,
    Object,
    Canonical,
    MetaRefresh,
}

impl LinkTag {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkTag::A => "a",
            LinkTag::Area => "area",
            LinkTag::Frame => "frame",
            LinkTag::Iframe => "iframe",
            LinkTag::Embed => "embed",
            LinkTag::Object => "object",
            LinkTag::Canonical => "canonical",
            LinkTag::MetaRefresh => "meta-refresh",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Absolute, without fragment.
    pub url: Url,
    pub anchor: String,
    pub rel: String,
    pub tag: LinkTag,
}

/// Everything the crawler needs from a page.
#[derive(Clone, Debug, Default)]
pub struct PageLinks {
    pub title: Option<String>,
    pub links: Vec<Link>,
    pub canonical: Option<Url>,
    /// A `<meta http-equiv="refresh">` target and its delay in seconds.
    pub meta_refresh: Option<(Url, u32)>,
}

struct Selectors {
    base: Selector,
    title: Selector,
    anchors: Selector,
    frames: Selector,
    embeds: Selector,
    objects: Selector,
    movie_params: Selector,
    canonical: Selector,
    meta_refresh: Selector,
    img_alt: Selector,
}

fn selectors() -> &'static Selectors {
    static SELECTORS: std::sync::OnceLock<Selectors> = std::sync::OnceLock::new();
    SELECTORS.get_or_init(|| {
        let s = |css: &str| Selector::parse(css).expect("static selector");
        Selectors {
            base: s("base[href]"),
            title: s("title"),
            anchors: s("a[href], area[href]"),
            frames: s("frame[src], iframe[src]"),
            embeds: s("embed[src]"),
            objects: s("object[data]"),
            movie_params: s("param[name=movie i][value], param[name=src i][value]"),
            canonical: s("link[rel~=canonical i][href]"),
            meta_refresh: s("meta[http-equiv=refresh i][content]"),
            img_alt: s("img[alt]"),
        }
    })
}

/// Parses `html` (the page at `page_url`) and collects its links.
pub fn extract(html: &str, page_url: &Url) -> PageLinks {
    let document = Html::parse_document(&super::cap_nesting(html, super::MAX_NESTING));
    extract_from(&document, page_url)
}

/// As [`extract`], on a document already parsed (so a page is parsed once).
pub fn extract_from(document: &Html, page_url: &Url) -> PageLinks {
    let s = selectors();
    let base = document
        .select(&s.base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let resolve = |href: &str| -> Option<Url> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return None;
        }
        let mut url = base.join(href).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        url.set_fragment(None);
        Some(url)
    };
    let mut page = PageLinks {
        title: document
            .select(&s.title)
            .next()
            .map(|t| collapse_whitespace(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty()),
        ..PageLinks::default()
    };
    let mut push = |url: Option<Url>, element: &ElementRef, tag: LinkTag, anchor: String| {
        if let Some(url) = url {
            page.links.push(Link {
                url,
                anchor,
                rel: element
                    .value()
                    .attr("rel")
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase(),
                tag,
            });
        }
    };
    for element in document.select(&s.anchors) {
        let tag = if element.value().name() == "area" {
            LinkTag::Area
        } else {
            LinkTag::A
        };
        let anchor = if tag == LinkTag::Area {
            element.value().attr("alt").unwrap_or("").to_owned()
        } else {
            anchor_text(&element)
        };
        push(
            resolve(element.value().attr("href").unwrap_or("")),
            &element,
            tag,
            anchor,
        );
    }
    for element in document.select(&s.frames) {
        let tag = if element.value().name() == "iframe" {
            LinkTag::Iframe
        } else {
            LinkTag::Frame
        };
        let title = element.value().attr("title").unwrap_or("").to_owned();
        push(
            resolve(element.value().attr("src").unwrap_or("")),
            &element,
            tag,
            title,
        );
    }
    for element in document.select(&s.embeds) {
        push(
            resolve(element.value().attr("src").unwrap_or("")),
            &element,
            LinkTag::Embed,
            String::new(),
        );
    }
    for element in document.select(&s.objects) {
        push(
            resolve(element.value().attr("data").unwrap_or("")),
            &element,
            LinkTag::Object,
            String::new(),
        );
    }
    for element in document.select(&s.movie_params) {
        push(
            resolve(element.value().attr("value").unwrap_or("")),
            &element,
            LinkTag::Object,
            String::new(),
        );
    }
    if let Some(element) = document.select(&s.canonical).next() {
        let url = resolve(element.value().attr("href").unwrap_or(""));
        page.canonical = url.clone();
        push(url, &element, LinkTag::Canonical, String::new());
    }
    if let Some(element) = document.select(&s.meta_refresh).next()
        && let Some((delay, target)) = parse_refresh(element.value().attr("content").unwrap_or(""))
        && let Some(url) = resolve(&target)
    {
        page.meta_refresh = Some((url.clone(), delay));
        push(Some(url), &element, LinkTag::MetaRefresh, String::new());
    }
    page
}

/// Parses a refresh value such as `0; url=/new/` or `5;URL='page.htm'`.
pub fn parse_refresh(content: &str) -> Option<(u32, String)> {
    let (delay, rest) = match content.split_once([';', ',']) {
        Some((d, r)) => (d, r),
        None => (content, ""),
    };
    let delay: u32 = delay.trim().split('.').next()?.parse().ok()?;
    let rest = rest.trim();
    let target = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("url") {
        rest[3..].trim_start().strip_prefix('=')?.trim()
    } else {
        rest
    };
    let target = target.trim_matches(|c| c == '\'' || c == '"').trim();
    (!target.is_empty()).then(|| (delay, target.to_owned()))
}

/// The visible text of a link, or its image's alt text when it has no text.
fn anchor_text(element: &ElementRef) -> String {
    let text = collapse_whitespace(&element.text().collect::<String>());
    if !text.is_empty() {
        return truncate(text, 200);
    }
    element
        .select(&selectors().img_alt)
        .next()
        .and_then(|i| i.value().attr("alt"))
        .map(|a| truncate(collapse_whitespace(a), 200))
        .unwrap_or_default()
}

pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(mut s: String, max_chars: usize) -> String {
    if let Some((i, _)) = s.char_indices().nth(max_chars) {
        s.truncate(i);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn base_href_and_every_link_kind() {
        let html = r##"<html><head><title> HPA -
            Measles </title><base href="http://www.hpa.org.uk/Topics/AZ/">
            <link rel="canonical" href="http://www.hpa.org.uk/Topics/AZ/Measles/">
            <meta http-equiv="Refresh" content="0; URL='/new/'"></head><body>
            <a href="Measles/#symptoms">  Measles
              page </a><a href="mailto:x@y.org">mail</a><a href="javascript:void(0)">js</a>
            <a href="/x.pdf"><img src="i.gif" alt="Report (PDF)"></a>
            <map><area href="/map/a" alt="North"></map>
            <iframe src="/atlas/ia/atlas.html" title="Atlas"></iframe>
            <object><param name="movie" value="/tools/chart.swf"><embed src="/tools/chart.swf"></object>
            <a href="#top">top</a><a href="http://other.org/a?b=1&amp;c=2">out</a>
            </body></html>"##;
        let page = extract(html, &url("http://www.hpa.org.uk/Topics/AZ/index.htm"));
        assert_eq!(page.title.as_deref(), Some("HPA - Measles"));
        let got: Vec<(String, &str, String)> = page
            .links
            .iter()
            .map(|l| (l.url.to_string(), l.tag.as_str(), l.anchor.clone()))
            .collect();
        let want: Vec<(String, &str, String)> = [
            (
                "http://www.hpa.org.uk/Topics/AZ/Measles/",
                "a",
                "Measles page",
            ),
            ("http://www.hpa.org.uk/x.pdf", "a", "Report (PDF)"),
            ("http://www.hpa.org.uk/map/a", "area", "North"),
            ("http://other.org/a?b=1&c=2", "a", "out"),
            (
                "http://www.hpa.org.uk/atlas/ia/atlas.html",
                "iframe",
                "Atlas",
            ),
            ("http://www.hpa.org.uk/tools/chart.swf", "embed", ""),
            ("http://www.hpa.org.uk/tools/chart.swf", "object", ""),
            ("http://www.hpa.org.uk/Topics/AZ/Measles/", "canonical", ""),
            ("http://www.hpa.org.uk/new/", "meta-refresh", ""),
        ]
        .into_iter()
        .map(|(a, b, c)| (a.to_owned(), b, c.to_owned()))
        .collect();
        assert_eq!(got, want);
        assert_eq!(
            page.meta_refresh.map(|(u, d)| (u.to_string(), d)),
            Some(("http://www.hpa.org.uk/new/".into(), 0))
        );
    }

    #[test]
    fn refresh_values() {
        assert_eq!(parse_refresh("0; url=/a/"), Some((0, "/a/".into())));
        assert_eq!(parse_refresh("5;URL='b.htm'"), Some((5, "b.htm".into())));
        assert_eq!(parse_refresh("3"), None);
        assert_eq!(parse_refresh("x; url=/a"), None);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!(
            "{}<a href=\"/deep\">deep</a>{}",
            "<div>".repeat(50_000),
            "</div>".repeat(50_000)
        );
        let page = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || extract(&html, &url("http://x.org/")))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(page.links.len(), 1);
    }
}
