//! What the tool reads out of legacy pages: text in the right character set, links,
//! and (for the transform and audits) main content, metadata and data signals.

/// Sets and maps keyed by a parsed page's node ids: small integers hashed many times per
/// page, for which a cryptographically strong hasher is wasted.
pub type NodeSet = rustc_hash::FxHashSet<ego_tree::NodeId>;
pub type NodeMap<V> = rustc_hash::FxHashMap<ego_tree::NodeId, V>;

/// A matcher for fixed English phrases, in ASCII case: one pass over a short text (a class
/// or id) finds them all. Over a whole page's text, [`Phrases`] is faster.
pub fn phrase_matcher(phrases: &[&str]) -> aho_corasick::AhoCorasick {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A few short phrases make a small DFA, the fastest automaton for them.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(phrases)
        .expect("built-in phrases")
}

/// Fixed English phrases found in a text in any ASCII case, each by a SIMD substring search
/// over one lower-cased copy of the text: for a dozen phrases over a whole page, several
/// times faster than one automaton reporting overlapping matches, which reads every byte.
/// Phrases that share a word (an anchor) are found by one search for it, each occurrence
/// then checked against the phrases around it.
pub struct Phrases {
    /// One search per anchor, and per phrase that holds none.
    anchors: Vec<memchr::memmem::Finder<'static>>,
    /// Each phrase, lower-cased, with its anchor's index and where in it the anchor is.
    phrases: Vec<(Vec<u8>, usize, usize)>,
}

impl Phrases {
    pub fn new(phrases: &[&str]) -> Phrases {
        Phrases::anchored(phrases, &[])
    }

    /// Phrases found through `anchors`: a phrase holding one of them is found by searching
    /// for its first.
    pub fn anchored(phrases: &[&str], anchors: &[&str]) -> Phrases {
        let mut searches: Vec<Vec<u8>> = Vec::new();
        let mut index_of = |needle: &[u8]| match searches.iter().position(|s| s == needle) {
            Some(i) => i,
            None => {
                searches.push(needle.to_vec());
                searches.len() - 1
            }
        };
        let phrases = phrases
            .iter()
            .map(|p| {
                let lower = p.to_ascii_lowercase().into_bytes();
                let anchor = anchors.iter().find_map(|a| {
                    let a = a.to_ascii_lowercase().into_bytes();
                    memchr::memmem::find(&lower, &a).map(|at| (a, at))
                });
                let (search, offset) = match anchor {
                    Some((a, at)) => (index_of(&a), at),
                    None => (index_of(&lower), 0),
                };
                (lower, search, offset)
            })
            .collect();
        let anchors = searches
            .iter()
            .map(|s| memchr::memmem::Finder::new(s).into_owned())
            .collect();
        Phrases { anchors, phrases }
    }

    /// Calls `found(phrase index, start)` for every occurrence, overlapping ones included,
    /// anchor by anchor; stops early when it returns false.
    fn each(&self, text: &str, mut found: impl FnMut(usize, usize) -> bool) {
        let lower = text.to_ascii_lowercase().into_bytes();
        for (search, finder) in self.anchors.iter().enumerate() {
            let mut from = 0;
            while let Some(at) = finder.find(&lower[from..]) {
                let hit = from + at;
                for (index, (phrase, _, offset)) in self
                    .phrases
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.1 == search)
                {
                    let Some(start) = hit.checked_sub(*offset) else {
                        continue;
                    };
                    if lower[start..].starts_with(phrase) && !found(index, start) {
                        return;
                    }
                }
                from = hit + 1;
            }
        }
    }

    /// Every occurrence, overlapping ones included, as `(phrase index, start, end)`, ordered
    /// by phrase and then by position.
    pub fn occurrences(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        self.each(text, |index, start| {
            found.push((index, start, start + self.phrases[index].0.len()));
            true
        });
        found.sort_unstable();
        found
    }

    /// Which phrases occur in `text`, by index.
    pub fn present(&self, text: &str) -> Vec<bool> {
        let mut present = vec![false; self.phrases.len()];
        let mut missing = present.len();
        self.each(text, |index, _| {
            if !present[index] {
                present[index] = true;
                missing -= 1;
            }
            missing > 0
        });
        present
    }
}

/// `count` texts of up to 40 pieces each, chosen by a xorshift generator from `seed`: the
/// same texts on every run, for tests that compare a fast scan with its definition.
#[cfg(test)]
pub(crate) fn generated_texts(pieces: &[&str], seed: u64, count: usize) -> Vec<String> {
    let mut state = seed;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..count)
        .map(|_| (0..next(40)).map(|_| pieces[next(pieces.len())]).collect())
        .collect()
}

/// The length in bytes of the whitespace character (as `char::is_whitespace` defines it)
/// starting at byte `at` of `text`, or 0 if none starts there. Callers scan text a byte at a
/// time and decode only the rare non-ASCII characters; a byte inside a character never
/// starts one, so it answers 0.
#[inline]
pub fn whitespace_len(text: &str, at: usize) -> usize {
    match text.as_bytes()[at] {
        b'\t'..=b'\r' | b' ' => 1,
        // Other ASCII, and the bytes inside a character.
        0..=0xbf => 0,
        _ => text[at..]
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
    }
}

/// `text.split(char::is_whitespace)`, every piece between two whitespace characters
/// included (empty ones too), found a byte at a time.
pub fn split_at_whitespace(text: &str) -> impl Iterator<Item = &str> {
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let mut at = from;
        while at < text.len() {
            let space = whitespace_len(text, at);
            if space > 0 {
                start = Some(at + space);
                return Some(&text[from..at]);
            }
            at += 1;
        }
        start = None;
        Some(&text[from..])
    })
}

pub mod charset;
pub mod content;
pub mod dates;
pub mod facts;
pub mod links;

use std::borrow::Cow;

/// The deepest element nesting kept before parsing. html5ever's tree building is quadratic
/// in nesting depth (8,000 levels take 0.14 s, 50,000 several seconds), and real pages stay
/// far below this.
pub const MAX_NESTING: usize = 1000;

/// An element's attribute by name, without making an atom of the name: scraper's
/// `Element::attr` interns the name (a perfect-hash lookup) on every call, and an element
/// has a handful of attributes, so comparing names is cheaper.
pub trait AttributeByName {
    fn attribute(&self, name: &str) -> Option<&str>;
}

impl AttributeByName for scraper::node::Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(qualified, _)| {
                qualified.prefix.is_none() && qualified.ns.is_empty() && &*qualified.local == name
            })
            .map(|(_, value)| &**value)
    }
}

/// Drops start tags (and their end tags) nested deeper than `max_depth`, keeping all text,
/// so no page can make parsing slow or deep. Returns the input untouched when it is within
/// the limit, which is almost always.
pub fn cap_nesting(html: &str, max_depth: usize) -> Cow<'_, str> {
    // Each level needs a `<`: a page with no more of them than the limit is within it,
    // and a SIMD count of them is far quicker than reading the tags.
    if memchr::memchr_iter(b'<', html.as_bytes())
        .nth(max_depth)
        .is_none()
        || scan(html, max_depth, None)
    {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    scan(html, max_depth, Some(&mut out));
    Cow::Owned(out)
}

/// Walks the tags of `html`. Without `out`, returns whether the depth stays within
/// `max_depth`; with it, writes the page minus the tags that are too deep.
fn scan(html: &str, max_depth: usize, mut out: Option<&mut String>) -> bool {
    let bytes = html.as_bytes();
    let (mut depth, mut dropped, mut copied_to, mut i) = (0usize, 0usize, 0usize, 0usize);
    let mut within = true;
    while let Some(offset) = memchr_lt(&bytes[i..]) {
        let start = i + offset;
        let rest = &bytes[start..];
        // Comments and raw text (script, style) are skipped whole.
        let skip_to = if rest.starts_with(b"<!--") {
            find(rest, b"-->").map(|e| start + e + 3)
        } else if starts_with_ignore_case(rest, b"<script")
            || starts_with_ignore_case(rest, b"<style")
        {
            let close: &[u8] = if starts_with_ignore_case(rest, b"<script") {
                b"</script"
            } else {
                b"</style"
            };
            find_ignore_case(rest, close).map(|e| start + e + close.len())
        } else {
            None
        };
        if let Some(next) = skip_to {
            i = next;
            continue;
        }
        let end = tag_end(bytes, start);
        let (closing, name) = tag_name(&bytes[start + 1..end]);
        let counted = !name.is_empty() && !is_not_counted(name);
        let self_closed = end >= 2 && bytes[end - 2] == b'/';
        let mut keep = true;
        if counted && !closing && !self_closed {
            if depth >= max_depth {
                within = false;
                dropped += 1;
                keep = false;
            } else {
                depth += 1;
            }
        } else if counted && closing {
            if dropped > 0 {
                dropped -= 1;
                keep = false;
            } else {
                depth = depth.saturating_sub(1);
            }
        }
        if let Some(out) = out.as_deref_mut()
            && !keep
        {
            out.push_str(&html[copied_to..start]);
            copied_to = end;
        }
        if out.is_none() && !within {
            return false;
        }
        i = end;
    }
    if let Some(out) = out {
        out.push_str(&html[copied_to..]);
    }
    within
}

fn memchr_lt(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', bytes)
}

/// The index just past the `>` that ends the tag starting at `start` (quotes respected).
fn tag_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(offset) = memchr::memchr3(b'>', b'"', b'\'', &bytes[at..]) {
        let found = at + offset;
        match bytes[found] {
            b'>' => return found + 1,
            quote => match memchr::memchr(quote, &bytes[found + 1..]) {
                Some(close) => at = found + 1 + close + 1,
                None => return bytes.len(),
            },
        }
    }
    bytes.len()
}

/// Whether the tag closes an element, and its name.
fn tag_name(tag: &[u8]) -> (bool, &[u8]) {
    let (closing, tag) = match tag.strip_prefix(b"/") {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let len = tag.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    if len == 0 || !tag[0].is_ascii_alphabetic() {
        return (closing, &[]);
    }
    (closing, &tag[..len])
}

/// Elements that never hold content, those whose end tag is optional (a legacy page
/// leaves thousands unclosed), and links (which cannot nest, and must never be dropped):
/// none counts towards nesting depth. Names in any case.
fn is_not_counted(name: &[u8]) -> bool {
    let mut lower = [0u8; 8];
    let Some(lower) = lower.get_mut(..name.len()) else {
        return false;
    };
    for (l, b) in lower.iter_mut().zip(name) {
        *l = b.to_ascii_lowercase();
    }
    matches!(
        &*lower,
        b"a" | b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"option"
            | b"optgroup"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"colgroup"
            | b"html"
            | b"head"
            | b"body"
            | b"rb"
            | b"rt"
            | b"rp"
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Where `needle`, which starts with `<`, first occurs in `haystack`, in any case.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(offset) = memchr::memchr(needle[0], &haystack[at..]) {
        let found = at + offset;
        if starts_with_ignore_case(&haystack[found..], needle) {
            return Some(found);
        }
        at = found + 1;
    }
    None
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.len() >= prefix.len() && haystack[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD_TEXTS: &[&str] = &[
        "",
        " ",
        "a",
        "  a  b\t\n",
        "\u{a0}c\u{a0}",
        "é\u{2003}ü\u{3000}x\u{85}y\u{1680}",
        "£5 per ‘week’",
        "x\u{0b}y\u{0c}z\r\n",
        "\u{feff}zero\u{200b}width",
    ];

    #[test]
    fn whitespace_is_found_as_the_standard_library_finds_it() {
        for text in AWKWARD_TEXTS {
            let expected: Vec<&str> = text.split(char::is_whitespace).collect();
            assert_eq!(
                split_at_whitespace(text).collect::<Vec<_>>(),
                expected,
                "{text:?}"
            );
            for (at, c) in text.char_indices() {
                let want = if c.is_whitespace() { c.len_utf8() } else { 0 };
                assert_eq!(whitespace_len(text, at), want, "{text:?} at {at}");
                for inside in at + 1..at + c.len_utf8() {
                    assert_eq!(whitespace_len(text, inside), 0, "{text:?} at {inside}");
                }
            }
        }
    }

    #[test]
    fn phrases_are_found_as_an_overlapping_automaton_finds_them() {
        let phrases = ["last updated", "updated", "Data", "data source", "aa"];
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(phrases)
            .unwrap();
        let found = Phrases::new(&phrases);
        let anchored = Phrases::anchored(&phrases, &["dat", "updated", "aa"]);
        for text in [
            "",
            "Page LAST UPDATED: 1 May 2013 (updated)",
            "download data source metadata",
            "aaaa é data",
            "nothing here",
        ] {
            let mut expected: Vec<(usize, usize, usize)> = automaton
                .find_overlapping_iter(text)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            expected.sort_unstable();
            assert_eq!(found.occurrences(text), expected, "{text:?}");
            let present: Vec<bool> = (0..phrases.len())
                .map(|p| expected.iter().any(|&(q, _, _)| q == p))
                .collect();
            assert_eq!(found.present(text), present, "{text:?}");
            assert_eq!(anchored.occurrences(text), expected, "{text:?}");
            assert_eq!(anchored.present(text), present, "{text:?}");
        }
    }

    #[test]
    fn not_counted_names_match_in_any_case() {
        for name in [
            "a", "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "param", "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option",
            "optgroup", "thead", "tbody", "tfoot", "colgroup", "html", "head", "body", "rb", "rt",
            "rp",
        ] {
            assert!(is_not_counted(name.as_bytes()), "{name}");
            assert!(
                is_not_counted(name.to_ascii_uppercase().as_bytes()),
                "{name}"
            );
        }
        for name in ["div", "span", "table", "colgroups", "ab", "", "optgroupx"] {
            assert!(!is_not_counted(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn tags_end_at_the_first_unquoted_bracket() {
        let html = b"<a title='x>y' href=\"a>b\">text<b>";
        assert_eq!(tag_end(html, 0), 26);
        assert_eq!(tag_end(b"<a title='unclosed>", 0), 19);
        assert_eq!(tag_end(b"<br", 0), 3);
    }

    #[test]
    fn attribute_by_name_agrees_with_scraper() {
        let html = scraper::Html::parse_document(
            r##"<p ID="x" Class="a b" data-x="1" style="" title="t">p</p>
            <svg><a xlink:href="/svg" href="/plain"><use xlink:href="#u"/></a></svg>"##,
        );
        for node in html.tree.nodes() {
            let Some(element) = node.value().as_element() else {
                continue;
            };
            for name in [
                "id",
                "class",
                "data-x",
                "style",
                "title",
                "href",
                "xlink:href",
                "nope",
            ] {
                assert_eq!(element.attribute(name), element.attr(name), "{name}");
            }
        }
    }

    #[test]
    fn shallow_pages_are_untouched() {
        let html = "<html><body><div><p>one<p>two<ul><li>a<li>b</ul></div><script>if (a<b) {}</script></body></html>";
        assert!(matches!(cap_nesting(html, 3), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_pages_keep_their_text() {
        let html = format!(
            "{}<a href=\"/x\">deep text</a>{}<p>after</p>",
            "<div class=\"a>b\">".repeat(5000),
            "</div>".repeat(5000)
        );
        let capped = cap_nesting(&html, 100);
        assert_eq!(capped.matches("<div").count(), 100);
        assert_eq!(capped.matches("</div>").count(), 100);
        assert!(
            capped.contains("<a href=\"/x\">deep text</a>") && capped.ends_with("<p>after</p>")
        );
    }

    #[test]
    fn unclosed_optional_tags_do_not_count() {
        let html = "<table>".to_owned() + &"<tr><td>x".repeat(5000) + "</table>";
        assert!(matches!(cap_nesting(&html, 10), Cow::Borrowed(_)));
    }
}
