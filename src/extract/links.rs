//! Links out of a legacy page: anchors, image maps, frames, embedded objects, the canonical
//! link, and `<meta http-equiv="refresh">` redirects, all resolved against `<base href>`.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
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

/// Parses `html` (the page at `page_url`) and collects its links.
///
/// Only html5ever's tokenizer runs (no tree is built): the crawler needs tags and anchor
/// text, and the tokenizer is linear in the page, however deep its nesting.
pub fn extract(html: &str, page_url: &Url) -> PageLinks {
    let sink = LinkSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let found = tokenizer.sink.found.into_inner();

    let base = found
        .base
        .as_deref()
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
        title: found
            .title
            .map(|t| collapse_whitespace(&t))
            .filter(|t| !t.is_empty()),
        ..PageLinks::default()
    };
    for raw in found.links {
        if let Some(url) = resolve(&raw.href) {
            if raw.tag == LinkTag::Canonical && page.canonical.is_none() {
                page.canonical = Some(url.clone());
            }
            if raw.tag == LinkTag::MetaRefresh {
                page.meta_refresh = Some((url.clone(), raw.delay));
            }
            page.links.push(Link {
                url,
                anchor: raw.anchor,
                rel: raw.rel,
                tag: raw.tag,
            });
        }
    }
    // Links come out grouped by kind, in document order within each kind.
    page.links.sort_by_key(|l| tag_order(l.tag));
    page
}

fn tag_order(tag: LinkTag) -> u8 {
    match tag {
        LinkTag::A | LinkTag::Area => 0,
        LinkTag::Frame | LinkTag::Iframe => 1,
        LinkTag::Embed => 2,
        LinkTag::Object => 3,
        LinkTag::Canonical => 4,
        LinkTag::MetaRefresh => 5,
    }
}

/// A link as the tokenizer saw it, before resolution.
struct RawLink {
    href: String,
    anchor: String,
    rel: String,
    tag: LinkTag,
    delay: u32,
}

#[derive(Default)]
struct Found {
    base: Option<String>,
    title: Option<String>,
    in_title: bool,
    links: Vec<RawLink>,
    /// The open `<a>`, whose text is being collected, and any image alt text inside it.
    open_anchor: Option<(usize, String)>,
    seen_canonical: bool,
    seen_refresh: bool,
}

#[derive(Default)]
struct LinkSink {
    found: RefCell<Found>,
}

fn attr<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|a| (*a.name.local).eq_ignore_ascii_case(name))
        .map(|a| &*a.value)
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut f = self.found.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                if tag.kind == TagKind::EndTag {
                    match name {
                        "a" => finish_anchor(&mut f),
                        "title" => f.in_title = false,
                        _ => {}
                    }
                    return TokenSinkResult::Continue;
                }
                let rel = || attr(&tag, "rel").unwrap_or("").trim().to_ascii_lowercase();
                match name {
                    "base" if f.base.is_none() => f.base = attr(&tag, "href").map(str::to_owned),
                    "title" if f.title.is_none() => {
                        f.title = Some(String::new());
                        f.in_title = true;
                        return TokenSinkResult::RawData(RawKind::Rcdata);
                    }
                    "title" | "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
                    "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                    // Raw text elements. (<noframes> is parsed as markup: old framesets put
                    // their fallback links there.)
                    "style" | "xmp" | "noembed" => {
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                    "a" => {
                        finish_anchor(&mut f);
                        if let Some(href) = attr(&tag, "href") {
                            let index = f.links.len();
                            f.links.push(RawLink {
                                href: href.to_owned(),
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::A,
                                delay: 0,
                            });
                            f.open_anchor = Some((index, String::new()));
                        }
                    }
                    "area" => {
                        if let Some(href) = attr(&tag, "href") {
                            let alt = attr(&tag, "alt").unwrap_or("").to_owned();
                            f.links.push(RawLink {
                                href: href.to_owned(),
                                anchor: alt,
                                rel: rel(),
                                tag: LinkTag::Area,
                                delay: 0,
                            });
                        }
                    }
                    "img" => {
                        if let (Some((_, alt)), Some(text)) =
                            (f.open_anchor.as_mut(), attr(&tag, "alt"))
                            && alt.is_empty()
                        {
                            *alt = text.to_owned();
                        }
                    }
                    "frame" | "iframe" => {
                        if let Some(src) = attr(&tag, "src") {
                            let kind = if name == "iframe" {
                                LinkTag::Iframe
                            } else {
                                LinkTag::Frame
                            };
                            let title = attr(&tag, "title").unwrap_or("").to_owned();
                            f.links.push(RawLink {
                                href: src.to_owned(),
                                anchor: title,
                                rel: rel(),
                                tag: kind,
                                delay: 0,
                            });
                        }
                        if name == "iframe" {
                            return TokenSinkResult::RawData(RawKind::Rawtext);
                        }
                    }
                    "embed" => {
                        if let Some(src) = attr(&tag, "src") {
                            f.links.push(RawLink {
                                href: src.to_owned(),
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::Embed,
                                delay: 0,
                            });
                        }
                    }
                    "object" => {
                        if let Some(data) = attr(&tag, "data") {
                            f.links.push(RawLink {
                                href: data.to_owned(),
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::Object,
                                delay: 0,
                            });
                        }
                    }
                    "param" => {
                        let named = attr(&tag, "name").is_some_and(|n| {
                            n.eq_ignore_ascii_case("movie") || n.eq_ignore_ascii_case("src")
                        });
                        if let (true, Some(value)) = (named, attr(&tag, "value")) {
                            f.links.push(RawLink {
                                href: value.to_owned(),
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::Object,
                                delay: 0,
                            });
                        }
                    }
                    "link" => {
                        let is_canonical = attr(&tag, "rel").is_some_and(|r| {
                            r.split_ascii_whitespace()
                                .any(|t| t.eq_ignore_ascii_case("canonical"))
                        });
                        if let (true, false, Some(href)) =
                            (is_canonical, f.seen_canonical, attr(&tag, "href"))
                        {
                            f.seen_canonical = true;
                            f.links.push(RawLink {
                                href: href.to_owned(),
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::Canonical,
                                delay: 0,
                            });
                        }
                    }
                    "meta" => {
                        let refresh = attr(&tag, "http-equiv")
                            .is_some_and(|h| h.trim().eq_ignore_ascii_case("refresh"));
                        if let (true, false, Some((delay, target))) = (
                            refresh,
                            f.seen_refresh,
                            attr(&tag, "content").and_then(parse_refresh),
                        ) {
                            f.seen_refresh = true;
                            f.links.push(RawLink {
                                href: target,
                                anchor: String::new(),
                                rel: rel(),
                                tag: LinkTag::MetaRefresh,
                                delay,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Token::CharacterTokens(text) => {
                if f.in_title {
                    if let Some(title) = f.title.as_mut() {
                        title.push_str(&text);
                    }
                } else if let Some((index, _)) = f.open_anchor {
                    f.links[index].anchor.push_str(&text);
                }
            }
            Token::EOFToken => finish_anchor(&mut f),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Closes the open anchor: its text, whitespace collapsed, or its image's alt text.
fn finish_anchor(f: &mut Found) {
    if let Some((index, alt)) = f.open_anchor.take() {
        let text = collapse_whitespace(&f.links[index].anchor);
        let text = if text.is_empty() {
            collapse_whitespace(&alt)
        } else {
            text
        };
        f.links[index].anchor = truncate(text, 200);
    }
}

/// Parses a refresh value such as `0; url=/new/` or `5;URL='page.htm'`.
pub fn parse_refresh(content: &str) -> Option<(u32, String)> {
    let (delay, rest) = match content.split_once([';', ',']) {
        Some((d, r)) => (d, r),
        None => (content, ""),
    };
    let delay: u32 = delay.trim().split('.').next()?.parse().ok()?;
    let rest = rest.trim();
    let target = if rest.get(..3).is_some_and(|k| k.eq_ignore_ascii_case("url")) {
        rest[3..].trim_start().strip_prefix('=')?.trim()
    } else {
        rest
    };
    let target = target.trim_matches(|c| c == '\'' || c == '"').trim();
    (!target.is_empty()).then(|| (delay, target.to_owned()))
}

pub fn collapse_whitespace(text: &str) -> String {
    let mut out = Collapsed::with_capacity(text.len());
    out.push_str(text);
    out.finish()
}

/// Text built up piece by piece with each run of whitespace as one space and none at the
/// ends: what `split_whitespace().join(" ")` gives, in one pass and one allocation.
pub struct Collapsed {
    text: String,
    /// Whitespace was seen since the last word.
    gap: bool,
}

impl Collapsed {
    pub fn with_capacity(capacity: usize) -> Collapsed {
        Collapsed {
            text: String::with_capacity(capacity),
            gap: false,
        }
    }

    /// A word break, as whitespace would make.
    pub fn push_break(&mut self) {
        self.gap = true;
    }

    pub fn push_str(&mut self, piece: &str) {
        if piece.is_ascii() {
            return self.push_ascii(piece);
        }
        for (i, word) in piece.split(char::is_whitespace).enumerate() {
            // Every piece after the first follows whitespace.
            self.gap |= i > 0;
            if !word.is_empty() {
                self.push_word(word);
            }
        }
    }

    /// [`push_str`](Self::push_str) for ASCII text, a byte at a time (the common case).
    fn push_ascii(&mut self, piece: &str) {
        let bytes = piece.as_bytes();
        let mut start = None;
        for (i, &b) in bytes.iter().enumerate() {
            // The ASCII characters `char::is_whitespace` accepts: tab to carriage return, space.
            if matches!(b, b'\t'..=b'\r' | b' ') {
                if let Some(from) = start.take() {
                    self.push_word(&piece[from..i]);
                }
                self.gap = true;
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(from) = start {
            self.push_word(&piece[from..]);
        }
    }

    fn push_word(&mut self, word: &str) {
        if self.gap && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(word);
        self.gap = false;
    }

    pub fn finish(self) -> String {
        self.text
    }
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

    #[test]
    fn collapsing_pieces_equals_collapsing_their_concatenation() {
        let pieces = [
            "",
            " ",
            "a",
            " a",
            "a ",
            "  a  b\t\n",
            "\u{a0}c",
            "é\u{2003}",
            "",
            "d",
            " ",
            "e",
        ];
        for start in 0..pieces.len() {
            for end in start..=pieces.len() {
                let mut collapsed = Collapsed::with_capacity(0);
                for p in &pieces[start..end] {
                    collapsed.push_str(p);
                }
                let joined = pieces[start..end].concat();
                let want = joined.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(collapsed.finish(), want, "{joined:?}");
                assert_eq!(collapse_whitespace(&joined), want);
            }
        }
    }

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
        // Multi-byte text where "url" would be must not split a character.
        assert_eq!(
            parse_refresh("0;\u{ff}\u{ff}"),
            Some((0, "\u{ff}\u{ff}".into()))
        );
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
