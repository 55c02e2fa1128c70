//! Main content and metadata of a page.
//!
//! The main content is the site's `content.main` selectors when one matches, otherwise a
//! readability-style heuristic (after Mozilla's Readability): drop unlikely parts (menus,
//! footers, sidebars, banners, hidden and cookie notices), score paragraphs by length and
//! commas, credit their ancestors, scale by link density, take the best container and the
//! siblings that belong with it, then drop what still looks like furniture (link lists,
//! forms, share widgets). Nothing is removed from the DOM: the result is a root element and
//! a set of nodes to leave out, which the Govspeak converter honours, so each page is parsed
//! once.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};

use super::dates::{self, Date};
use super::links::{Collapsed, collapse_whitespace as collapse};
use crate::config::settings::ContentSettings;
use crate::extract::{AttributeByName, NodeMap, NodeSet};

/// A site's content settings with selectors compiled once.
pub struct ContentRules {
    main: Vec<Selector>,
    strip: Vec<Selector>,
    title_strip: Vec<String>,
    date_patterns: Vec<String>,
    language: String,
}

impl ContentRules {
    /// Compiles the selectors (already checked when the config was validated).
    pub fn new(settings: &ContentSettings) -> ContentRules {
        let compile = |list: &[String]| {
            list.iter()
                .filter_map(|s| Selector::parse(s).ok())
                .collect()
        };
        ContentRules {
            main: compile(&settings.main),
            strip: compile(&settings.strip),
            title_strip: settings.title_strip.clone(),
            date_patterns: settings.date_patterns.clone(),
            language: settings.language.clone(),
        }
    }

    /// Whether the site names its main content; when it does and no selector matches a
    /// page, the heuristic's choice is worth an editor's look.
    pub fn has_main_selectors(&self) -> bool {
        !self.main.is_empty()
    }
}

impl Default for ContentRules {
    fn default() -> Self {
        ContentRules::new(&ContentSettings::default())
    }
}

/// What was found on a page.
#[derive(Clone, Debug)]
pub struct Extracted {
    pub title: String,
    /// The `<title>` as written, less what the site's `title_strip` removes: where a site
    /// name nobody configured yet shows.
    pub written_title: String,
    /// Where the title came from: `meta`, `title`, `h1`, `url`.
    pub title_source: &'static str,
    pub description: Option<String>,
    pub published: Option<Date>,
    pub updated: Option<Date>,
    pub language: String,
    /// The element holding the main content.
    pub main: NodeId,
    /// Nodes under `main` left out of the content.
    pub skip: NodeSet,
    /// `selector` or `heuristic`.
    pub method: &'static str,
    /// The visible text of `main` less `skip`, whitespace collapsed: [`visible_text`].
    pub main_text: String,
}

/// Extracts main content and metadata. `last_modified` is the HTTP header, the last resort
/// for the updated date.
pub fn extract(document: &Html, rules: &ContentRules, last_modified: Option<&str>) -> Extracted {
    let body = body_of(document);
    let meta = Meta::read(document);
    // A configured site name is removed from the <title> as written; otherwise Readability's
    // separator rules decide.
    let title_tag = selector!("title");
    let written = document
        .select(title_tag)
        .next()
        .map(|t| collapse(&t.text().collect::<String>()))
        .unwrap_or_default();
    let stripped = clean_title(&written, &rules.title_strip);
    let raw_title = meta.title().unwrap_or_else(|| {
        if stripped != written {
            stripped.clone()
        } else {
            article_title(document)
        }
    });
    let (main, mut skip, method) = match rules.main.iter().find_map(|s| document.select(s).next()) {
        Some(element) => (element.id(), NodeSet::default(), "selector"),
        None => {
            let (main, skip) = heuristic(body);
            (main, skip, "heuristic")
        }
    };
    let main_ref = ElementRef::wrap(document.tree.get(main).expect("a node of this document"))
        .expect("an element");
    for selector in &rules.strip {
        for element in main_ref.select(selector) {
            skip.insert(element.id());
        }
    }
    let mut title = clean_title(&raw_title, &rules.title_strip);
    let mut title_source = if meta.title().is_some() {
        "meta"
    } else {
        "title"
    };
    // The first h1 of the content is the page's title on GOV.UK: it leaves the body, and
    // names the page when the <title> says nothing useful.
    let h1_selector = selector!("h1");
    if let Some(h1) = main_ref
        .select(h1_selector)
        .find(|h| !skip.contains(&h.id()))
    {
        let text = collapse(&h1.text().collect::<String>());
        if !text.is_empty() {
            skip.insert(h1.id());
            if title.is_empty()
                || title.eq_ignore_ascii_case("untitled")
                || title.eq_ignore_ascii_case("home")
            {
                title = text;
                title_source = "h1";
            }
        }
    }
    let mut published = meta.date(&[
        "article:published_time",
        "dc:date:issued",
        "dcterms:issued",
        "dc:date",
        "date",
        "dcterms:created",
        "dc:date:created",
    ]);
    let mut updated = meta.date(&[
        "article:modified_time",
        "dc:date:modified",
        "dcterms:modified",
        "last-modified",
        "og:updated_time",
    ]);
    let (page_text, main_text) = page_and_main_text(body, main_ref, &skip);
    for pattern in &rules.date_patterns {
        if updated.is_none() {
            updated = dates::find_with_pattern(&page_text, pattern);
        }
    }
    let (seen_published, seen_updated) = dates::visible_dates(&page_text);
    published = published.or(seen_published);
    updated = updated
        .or(seen_updated)
        .or_else(|| last_modified.and_then(dates::parse_any));
    let description = meta
        .first(&[
            "dc:description",
            "dcterm:description",
            "og:description",
            "description",
            "twitter:description",
        ])
        .map(|d| collapse(&d))
        // A summary that repeats the title says nothing: GOV.UK asks for one that does not.
        .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case(&title))
        .or_else(|| first_paragraph(main_ref, &skip))
        .map(|d| summary(&d));
    let language = language(document).unwrap_or_else(|| rules.language.clone());
    Extracted {
        title,
        written_title: stripped,
        title_source,
        description,
        published,
        updated,
        language,
        main,
        skip,
        method,
        main_text,
    }
}

/// The page's `<body>`, or its root element when it has none.
fn body_of(document: &Html) -> ElementRef<'_> {
    let root = document.root_element();
    root.children()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "body")
        .unwrap_or(root)
}

/// The text of an element without the skipped nodes and non-content elements, whitespace
/// collapsed: what token F1 is measured on.
pub fn visible_text(root: ElementRef<'_>, skip: &NodeSet) -> String {
    let mut out = Collapsed::with_capacity(4096);
    walk_visible(root, skip, |piece| {
        match piece {
            Some(text) => out.push_str(text),
            None => out.push_break(),
        }
        true
    });
    out.finish()
}

/// The visible text of the whole page (`body`) and of the main content (`main` less
/// `skip`): what [`visible_text`] gives for each, in one walk of the page.
fn page_and_main_text(
    body: ElementRef<'_>,
    main: ElementRef<'_>,
    skip: &NodeSet,
) -> (String, String) {
    let mut page = Collapsed::with_capacity(4096);
    let mut main_text = Collapsed::with_capacity(4096);
    // Two walks in step, each as `walk_visible` goes: the element whose subtree the page
    // leaves out (scripts and the like), and the one the main text leaves out (skipped
    // nodes too). A block closing inside a left-out subtree still breaks the text there.
    let (mut page_skipping, mut main_skipping): (Option<NodeId>, Option<NodeId>) = (None, None);
    let (mut in_main, mut main_seen) = (false, false);
    for edge in body.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                if node.id() == main.id() {
                    (in_main, main_seen) = (true, true);
                }
                let (element, text) = match node.value() {
                    Node::Element(e) => (Some(e.name()), None),
                    Node::Text(t) => (None, Some(&**t)),
                    _ => continue,
                };
                let invisible = element.is_some_and(is_invisible);
                let breaks = element.is_some_and(|name| is_block(name) || name == "br");
                let page_sees = page_skipping.is_none();
                if page_sees && invisible {
                    page_skipping = Some(node.id());
                }
                let main_sees = in_main
                    && main_skipping.is_none()
                    && if invisible || skip.contains(&node.id()) {
                        main_skipping = Some(node.id());
                        false
                    } else {
                        true
                    };
                if invisible {
                    continue;
                }
                match (text, page_sees, main_sees) {
                    (Some(text), true, true) => main_text.push_str_twice(&mut page, text),
                    (Some(text), true, false) => page.push_str(text),
                    (Some(text), false, true) => main_text.push_str(text),
                    (None, _, _) if breaks => {
                        if page_sees {
                            page.push_break();
                        }
                        if main_sees {
                            main_text.push_break();
                        }
                    }
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                let block = matches!(node.value(), Node::Element(e) if is_block(e.name()));
                if page_skipping == Some(node.id()) {
                    page_skipping = None;
                } else if block {
                    page.push_break();
                }
                if in_main {
                    if main_skipping == Some(node.id()) {
                        main_skipping = None;
                    } else if block {
                        main_text.push_break();
                    }
                }
                if node.id() == main.id() {
                    in_main = false;
                }
            }
        }
    }
    // A main element outside `body` (a page without one, read from its root).
    if !main_seen {
        return (page.finish(), visible_text(main, skip));
    }
    (page.finish(), main_text.finish())
}

/// Elements whose text is never shown.
fn is_invisible(name: &str) -> bool {
    matches!(name, "script" | "style" | "noscript" | "template" | "head")
}

/// The length in characters of [`visible_text`], counted up to `limit` without building
/// the text.
fn visible_chars(root: ElementRef<'_>, skip: &NodeSet, limit: usize) -> usize {
    let (mut count, mut gap) = (0, false);
    walk_visible(root, skip, |piece| {
        let Some(text) = piece else {
            gap = true;
            return true;
        };
        for c in text.chars() {
            if c.is_whitespace() {
                gap = true;
            } else {
                count += 1 + usize::from(gap && count > 0);
                gap = false;
            }
        }
        count < limit
    });
    count.min(limit)
}

/// Calls `visit` with each visible text of `root` in order (`None` for a break between
/// blocks) until it returns false.
fn walk_visible<'a>(
    root: ElementRef<'a>,
    skip: &NodeSet,
    mut visit: impl FnMut(Option<&'a str>) -> bool,
) {
    let mut skipping: Option<NodeId> = None;
    for edge in root.traverse() {
        let go_on = match edge {
            ego_tree::iter::Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                if skip.contains(&node.id()) {
                    skipping = Some(node.id());
                    continue;
                }
                match node.value() {
                    Node::Element(e) if is_invisible(e.name()) => {
                        skipping = Some(node.id());
                        true
                    }
                    Node::Element(e) if is_block(e.name()) || e.name() == "br" => visit(None),
                    Node::Text(t) => visit(Some(&**t)),
                    _ => true,
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                    true
                } else if let Node::Element(e) = node.value()
                    && is_block(e.name())
                {
                    visit(None)
                } else {
                    true
                }
            }
        };
        if !go_on {
            return;
        }
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "li"
            | "td"
            | "th"
            | "tr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "table"
            | "section"
            | "article"
            | "blockquote"
            | "pre"
            | "dd"
            | "dt"
            | "dl"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "figure"
            | "figcaption"
            | "address"
            | "main"
            | "form"
            | "fieldset"
            | "caption"
    )
}

/// A summary of at most 160 characters, cut at a sentence or word boundary.
pub fn summary(text: &str) -> String {
    let mut text = collapse(text);
    while text.ends_with("..") && !text.ends_with("...") {
        text.pop();
    }
    if text.chars().count() <= 160 {
        return text;
    }
    let cut: String = text.chars().take(160).collect();
    if let Some(end) = cut.rfind(". ")
        && end > 60
    {
        return cut[..=end].to_owned();
    }
    let cut: String = text.chars().take(159).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':']))
}

fn first_paragraph(main: ElementRef<'_>, skip: &NodeSet) -> Option<String> {
    let p = selector!("p");
    main.select(p)
        .filter(|e| !skip.contains(&e.id()) && !e.ancestors().any(|a| skip.contains(&a.id())))
        .map(|e| collapse(&e.text().collect::<String>()))
        .find(|t| t.len() >= 40)
}

fn language(document: &Html) -> Option<String> {
    let root = document.root_element();
    let lang = root
        .value()
        .attribute("lang")
        .or_else(|| root.value().attribute("xml:lang"))
        .map(str::to_owned)
        .or_else(|| {
            let selector = selector!("meta[http-equiv]");
            document
                .select(selector)
                .find(|m| {
                    m.value()
                        .attribute("http-equiv")
                        .is_some_and(|h| h.eq_ignore_ascii_case("content-language"))
                })
                .and_then(|m| m.value().attribute("content").map(str::to_owned))
        })?;
    let primary = lang.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() == 2 || primary.len() == 3).then_some(primary)
}

/// Removes the site's name from a title (configured strings first, then a trailing
/// "| Site" part when what remains is long enough to stand alone).
/// What stands between a title and the site name a `title_strip` entry removes: the
/// separators Readability knows, en and em dashes among them.
const TITLE_SEPARATORS: [char; 9] = [' ', '-', '|', ':', '–', '—', '»', '·', '\u{a0}'];

pub fn clean_title(title: &str, strip: &[String]) -> String {
    let mut title = collapse(title);
    for s in strip {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        if let Some(rest) = title.strip_prefix(s) {
            title = rest.trim_start_matches(TITLE_SEPARATORS).to_owned();
        } else if let Some(rest) = title.strip_suffix(s) {
            title = rest.trim_end_matches(TITLE_SEPARATORS).to_owned();
        }
    }
    title
}

/// Meta tags by normalised name (`og:title`, `dc:title`, `description`, ...).
struct Meta {
    values: HashMap<String, String>,
    json_ld_title: Option<String>,
}

impl Meta {
    fn read(document: &Html) -> Meta {
        let selector = selector!("meta");
        let mut values = HashMap::new();
        for meta in document.select(selector) {
            let element = meta.value();
            let Some(content) = element
                .attribute("content")
                .map(str::trim)
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let mut names: Vec<String> = Vec::new();
            if let Some(property) = element.attribute("property") {
                names.extend(property.split_whitespace().map(|p| p.to_ascii_lowercase()));
            }
            if let Some(name) = element.attribute("name") {
                names.push(
                    name.to_ascii_lowercase()
                        .split_whitespace()
                        .collect::<String>()
                        .replace('.', ":"),
                );
            }
            if let Some(name) = element.attribute("http-equiv") {
                names.push(name.to_ascii_lowercase());
            }
            for name in names {
                values.entry(name).or_insert_with(|| content.to_owned());
            }
        }
        Meta {
            values,
            json_ld_title: json_ld_title(document),
        }
    }

    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.values.get(*n).cloned())
    }

    fn title(&self) -> Option<String> {
        self.json_ld_title.clone().or_else(|| {
            self.first(&[
                "dc:title",
                "dcterm:title",
                "og:title",
                "weibo:article:title",
                "weibo:webpage:title",
                "title",
                "twitter:title",
                "parsely-title",
            ])
        })
    }

    fn date(&self, names: &[&str]) -> Option<Date> {
        names
            .iter()
            .find_map(|n| self.values.get(*n).and_then(|v| dates::parse_any(v)))
    }
}

fn json_ld_title(document: &Html) -> Option<String> {
    let selector = selector!(r#"script[type="application/ld+json"]"#);
    for script in document.select(selector) {
        let text: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim()) else {
            continue;
        };
        let items = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            let context = item
                .get("@context")
                .map(|c| c.to_string())
                .unwrap_or_default();
            if !context.contains("schema.org") {
                continue;
            }
            let kind = item
                .get("@type")
                .and_then(|t| t.as_str())
                .unwrap_or_default();
            if !kind.ends_with("Article")
                && !matches!(
                    kind,
                    "Report" | "BlogPosting" | "LiveBlogPosting" | "SocialMediaPosting"
                )
            {
                continue;
            }
            if let Some(title) = item
                .get("name")
                .or_else(|| item.get("headline"))
                .and_then(|t| t.as_str())
            {
                return Some(collapse(title));
            }
        }
    }
    None
}

/// The title from `<title>`, without the site name where a separator shows it (Readability's
/// rules).
fn article_title(document: &Html) -> String {
    let selector = selector!("title");
    let original = document
        .select(selector)
        .next()
        .map(|t| collapse(&t.text().collect::<String>()))
        .unwrap_or_default();
    let words = |s: &str| s.split_whitespace().count();
    let separators = [" | ", " - ", " \\ ", " / ", " > ", " » ", " – ", " — "];
    let hierarchical = [" \\ ", " / ", " > ", " » "];
    let mut title = original.clone();
    let mut had_hierarchical = false;
    let positions: Vec<(usize, &str)> = separators
        .iter()
        .flat_map(|s| {
            original
                .match_indices(s)
                .map(|(i, _)| (i, *s))
                .collect::<Vec<_>>()
        })
        .collect();
    if let Some(&(last, _)) = positions.iter().max_by_key(|(i, _)| *i) {
        had_hierarchical = hierarchical.iter().any(|h| original.contains(h));
        title = original[..last].to_owned();
        if words(&title) < 3 {
            let (first, sep) = *positions.iter().min_by_key(|(i, _)| *i).expect("non-empty");
            title = original[first + sep.len()..].to_owned();
        }
    } else if original.contains(": ") {
        let headings = selector!("h1, h2");
        let matches_heading = document
            .select(headings)
            .any(|h| collapse(&h.text().collect::<String>()) == original);
        if !matches_heading {
            let last = original.rfind(':').expect("contains");
            title = original[last + 1..].to_owned();
            let first = original.find(':').expect("contains");
            if words(&title) < 3 {
                title = original[first + 1..].to_owned();
            } else if words(&original[..first]) > 5 {
                title = original.clone();
            }
        }
    } else if original.len() > 150 || original.len() < 15 {
        let h1 = selector!("h1");
        let all: Vec<_> = document.select(h1).collect();
        if all.len() == 1 {
            title = collapse(&all[0].text().collect::<String>());
        }
    }
    let title = collapse(&title);
    let count = words(&title);
    let stripped = original.replace(['|', '-', '\\', '/', '>', '»'], "");
    if count <= 4 && (!had_hierarchical || count + 1 != words(&stripped)) {
        return original;
    }
    title
}

// ---------------------------------------------------------------------------------------
// The heuristic.

const UNLIKELY: &[&str] = &[
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumb",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
    "cookie",
    "leftnav",
    "rightnav",
    "topnav",
    "navbar",
    "masthead",
];
const MAYBE: &[&str] = &[
    "and", "article", "body", "column", "content", "main", "mathjax", "shadow",
];
const POSITIVE: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "hentry",
    "h-entry",
    "main",
    "page",
    "pagination",
    "post",
    "text",
    "blog",
    "story",
];
const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];
const UNLIKELY_ROLES: &[&str] = &[
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
];
const DIV_TO_P: &[&str] = &[
    "blockquote",
    "dl",
    "div",
    "img",
    "ol",
    "p",
    "pre",
    "table",
    "ul",
    "section",
];

/// One automaton per word list, in ASCII case, so that an element's class and id are read
/// once each, not lower-cased and searched once per word.
struct Signals {
    unlikely: aho_corasick::AhoCorasick,
    maybe: aho_corasick::AhoCorasick,
    positive: aho_corasick::AhoCorasick,
    negative: aho_corasick::AhoCorasick,
    share: aho_corasick::AhoCorasick,
}

fn signals() -> &'static Signals {
    static SIGNALS: std::sync::LazyLock<Signals> = std::sync::LazyLock::new(|| Signals {
        unlikely: crate::extract::phrase_matcher(UNLIKELY),
        maybe: crate::extract::phrase_matcher(MAYBE),
        positive: crate::extract::phrase_matcher(POSITIVE),
        negative: crate::extract::phrase_matcher(NEGATIVE),
        share: crate::extract::phrase_matcher(&["share"]),
    });
    &SIGNALS
}

/// Whether the element's class or id holds one of `words` (none holds a space, so the
/// two are searched apart).
fn signature_matches(el: &scraper::node::Element, words: &aho_corasick::AhoCorasick) -> bool {
    [el.attribute("class"), el.attribute("id")]
        .into_iter()
        .flatten()
        .any(|value| words.is_match(value))
}

fn negative(text: &str) -> bool {
    signals().negative.is_match(text)
        || text
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case("hid"))
}

fn class_weight(element: &scraper::node::Element) -> f64 {
    let mut weight = 0.0;
    for value in [element.attribute("class"), element.attribute("id")]
        .into_iter()
        .flatten()
    {
        if value.is_empty() {
            continue;
        }
        if negative(value) {
            weight -= 25.0;
        }
        if signals().positive.is_match(value) {
            weight += 25.0;
        }
    }
    weight
}

#[derive(Clone, Copy)]
struct Flags {
    strip_unlikely: bool,
    weight_classes: bool,
    clean_conditionally: bool,
}

/// Text statistics of a subtree, leaving out removed nodes.
#[derive(Default, Clone, Copy)]
struct Stats {
    chars: usize,
    link_chars: f64,
    commas: usize,
}

/// What a text node counts for in scoring: its characters, each word and one space (the
/// Readability length of its collapsed text), and its commas (ASCII and full-width).
#[derive(Debug, PartialEq)]
struct TextCounts {
    length: usize,
    commas: usize,
}

/// [`TextCounts`] in one pass: eight ASCII bytes at a time, as bit masks of their spaces
/// and commas, and characters beyond ASCII one at a time.
fn text_counts(text: &str) -> TextCounts {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `word` (all ASCII) that is zero.
    let zero_bytes = |word: u64| !(((word & !HIGH) + (ONES * 0x7f)) | word) & HIGH;
    let bytes = text.as_bytes();
    let (mut length, mut commas) = (0, 0);
    // The text so far ends in whitespace (or is empty): a word starts at the next letter.
    let mut gap = true;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            if word & HIGH == 0 {
                // `\t`..=`\r` (the additions carry into no neighbour: every byte < 0x80) or ' '.
                let control = (word + ONES * (0x80 - 0x09)) & !(word + ONES * (0x80 - 0x0e)) & HIGH;
                let space = control | zero_bytes(word ^ (ONES * u64::from(b' ')));
                let letters = !space & HIGH;
                let after_space = (space << 8) | if gap { 0x80 } else { 0 };
                length += (letters.count_ones() + (letters & after_space).count_ones()) as usize;
                commas += zero_bytes(word ^ (ONES * u64::from(b','))).count_ones() as usize;
                gap = space >> 63 == 1;
                at += 8;
                continue;
            }
        }
        let byte = bytes[at];
        let (space, width) = match byte {
            b'\t'..=b'\r' | b' ' => (true, 1),
            0..=0x7f => {
                commas += usize::from(byte == b',');
                (false, 1)
            }
            // Inside a character: only its first byte is `at`.
            _ => {
                let c = text[at..].chars().next().unwrap_or_default();
                commas += usize::from(c == '\u{ff0c}');
                (c.is_whitespace(), c.len_utf8())
            }
        };
        length += usize::from(!space) * (1 + usize::from(gap));
        gap = space;
        at += width;
    }
    TextCounts { length, commas }
}

/// How much a link's text counts as link text: in-page anchors count less.
fn link_weight(e: &scraper::node::Element) -> f64 {
    if e.attribute("href").is_some_and(|h| h.starts_with('#')) {
        0.3
    } else {
        1.0
    }
}

fn stats(node: NodeRef<'_, Node>, removed: &NodeSet) -> Stats {
    let mut s = Stats::default();
    let mut in_link: Option<(NodeId, f64)> = None;
    let mut skipping: Option<NodeId> = None;
    for edge in node.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                if skipping.is_some() {
                    continue;
                }
                if removed.contains(&n.id()) && n.id() != node.id() {
                    skipping = Some(n.id());
                    continue;
                }
                match n.value() {
                    Node::Text(t) => {
                        let TextCounts {
                            length: len,
                            commas,
                        } = text_counts(t);
                        s.chars += len;
                        s.commas += commas;
                        if let Some((_, weight)) = in_link {
                            s.link_chars += len as f64 * weight;
                        }
                    }
                    Node::Element(e) if e.name() == "a" && in_link.is_none() => {
                        in_link = Some((n.id(), link_weight(e)));
                    }
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(n) => {
                if skipping == Some(n.id()) {
                    skipping = None;
                }
                if in_link.is_some_and(|(id, _)| id == n.id()) {
                    in_link = None;
                }
            }
        }
    }
    s
}

/// [`stats`] of every element under `root` in one walk (children's totals added to their
/// parents on the way out), so that ranking candidates does not re-walk big subtrees.
fn all_stats(root: NodeRef<'_, Node>, removed: &NodeSet) -> NodeMap<Stats> {
    let mut totals: NodeMap<Stats> = NodeMap::default();
    // (node, its totals so far, the link weight inside it)
    let mut open: Vec<(NodeId, Stats, Option<f64>)> = Vec::new();
    let mut skipping: Option<NodeId> = None;
    for edge in root.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => {
                if skipping.is_some() {
                    continue;
                }
                if removed.contains(&n.id()) && n.id() != root.id() {
                    skipping = Some(n.id());
                    continue;
                }
                let link = open.last().and_then(|(_, _, l)| *l);
                match n.value() {
                    Node::Text(t) => {
                        if let Some((_, s, _)) = open.last_mut() {
                            let TextCounts {
                                length: len,
                                commas,
                            } = text_counts(t);
                            s.chars += len;
                            s.commas += commas;
                            if let Some(weight) = link {
                                s.link_chars += len as f64 * weight;
                            }
                        }
                    }
                    Node::Element(e) => {
                        let link = link.or_else(|| (e.name() == "a").then(|| link_weight(e)));
                        open.push((n.id(), Stats::default(), link));
                    }
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(n) => {
                if skipping == Some(n.id()) {
                    skipping = None;
                    continue;
                }
                if skipping.is_some() || !n.value().is_element() {
                    continue;
                }
                let Some((id, s, _)) = open.pop() else {
                    continue;
                };
                if let Some((_, parent, _)) = open.last_mut() {
                    parent.chars += s.chars;
                    parent.link_chars += s.link_chars;
                    parent.commas += s.commas;
                }
                totals.insert(id, s);
            }
        }
    }
    totals
}

fn link_density(s: Stats) -> f64 {
    if s.chars == 0 {
        0.0
    } else {
        s.link_chars / s.chars as f64
    }
}

fn element(node: NodeRef<'_, Node>) -> Option<&scraper::node::Element> {
    node.value().as_element()
}

/// Chooses the main content under `body`: returns its root and the nodes to leave out.
fn heuristic(body: ElementRef<'_>) -> (NodeId, NodeSet) {
    let attempts = [
        Flags {
            strip_unlikely: true,
            weight_classes: true,
            clean_conditionally: true,
        },
        Flags {
            strip_unlikely: false,
            weight_classes: true,
            clean_conditionally: true,
        },
        Flags {
            strip_unlikely: false,
            weight_classes: false,
            clean_conditionally: true,
        },
        Flags {
            strip_unlikely: false,
            weight_classes: false,
            clean_conditionally: false,
        },
    ];
    let mut best: Option<(usize, NodeId, NodeSet)> = None;
    for flags in attempts {
        let (root, skip) = grab(body, flags);
        let root_ref = ElementRef::wrap(body.tree().get(root).expect("in tree")).expect("element");
        let length = visible_chars(root_ref, &skip, 500);
        if length >= 500 {
            return (root, skip);
        }
        if best.as_ref().is_none_or(|(l, _, _)| length > *l) {
            best = Some((length, root, skip));
        }
    }
    let (_, root, skip) = best.expect("four attempts");
    (root, skip)
}

fn grab(body: ElementRef<'_>, flags: Flags) -> (NodeId, NodeSet) {
    let mut removed = NodeSet::default();
    let mut to_score: Vec<NodeId> = Vec::new();
    // Pass 1: what is certainly not content, and what to score.
    let mut skipping: Option<NodeId> = None;
    for edge in body.traverse() {
        let ego_tree::iter::Edge::Open(node) = edge else {
            if let ego_tree::iter::Edge::Close(node) = edge
                && skipping == Some(node.id())
            {
                skipping = None;
            }
            continue;
        };
        if skipping.is_some() {
            continue;
        }
        let Some(el) = element(node) else { continue };
        let name = el.name();
        let drop = || {
            if matches!(
                name,
                "script" | "style" | "noscript" | "template" | "link" | "meta"
            ) {
                return true;
            }
            if el.attribute("hidden").is_some()
                || el.attribute("aria-hidden") == Some("true")
                || el.attribute("style").is_some_and(|s| {
                    let s = s.to_ascii_lowercase().replace(' ', "");
                    s.contains("display:none") || s.contains("visibility:hidden")
                })
            {
                return true;
            }
            if el
                .attribute("role")
                .is_some_and(|r| UNLIKELY_ROLES.contains(&r.to_ascii_lowercase().as_str()))
            {
                return true;
            }
            if flags.strip_unlikely && node.id() != body.id() && name != "a" && name != "body" {
                let in_table_or_code = || {
                    node.ancestors()
                        .any(|a| element(a).is_some_and(|e| matches!(e.name(), "table" | "code")))
                };
                if signature_matches(el, &signals().unlikely)
                    && !signature_matches(el, &signals().maybe)
                    && !in_table_or_code()
                {
                    return true;
                }
                if matches!(name, "nav" | "footer" | "aside") {
                    return true;
                }
            }
            false
        };
        if drop() {
            removed.insert(node.id());
            skipping = Some(node.id());
            continue;
        }
        match name {
            "p" | "td" | "pre" | "section" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                to_score.push(node.id())
            }
            "div" => to_score.push(node.id()),
            _ => {}
        }
    }
    let tree = body.tree();
    let totals = all_stats(*body, &removed);
    let stat = |node: NodeRef<'_, Node>| {
        totals
            .get(&node.id())
            .copied()
            .unwrap_or_else(|| stats(node, &removed))
    };
    // Pass 2: score.
    let mut scores: NodeMap<f64> = NodeMap::default();
    let mut order: Vec<NodeId> = Vec::new();
    let initial = |el: &scraper::node::Element| -> f64 {
        let base = match el.name() {
            "div" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        base + if flags.weight_classes {
            class_weight(el)
        } else {
            0.0
        }
    };
    for &id in &to_score {
        let node = tree.get(id).expect("in tree");
        let el = element(node).expect("element");
        // A div or table cell holding blocks is scored by its own text only: its blocks
        // are scored themselves.
        let s = if matches!(el.name(), "div" | "td")
            && node
                .descendants()
                .skip(1)
                .any(|d| element(d).is_some_and(|e| DIV_TO_P.contains(&e.name())))
        {
            // Only its own text counts.
            let own: String = node
                .children()
                .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                .collect();
            let counts = text_counts(&own);
            Stats {
                chars: counts.length,
                link_chars: 0.0,
                commas: counts.commas,
            }
        } else {
            stat(node)
        };
        if s.chars < 25 {
            continue;
        }
        let score = 1.0 + s.commas as f64 + (s.chars / 100).min(3) as f64;
        let own_div = el.name() == "div";
        let mut level = 0;
        let ancestors: Vec<NodeRef<'_, Node>> = if own_div {
            std::iter::once(node)
                .chain(node.ancestors())
                .filter(|a| element(*a).is_some())
                .take(5)
                .collect()
        } else {
            node.ancestors()
                .filter(|a| element(*a).is_some())
                .take(5)
                .collect()
        };
        for ancestor in ancestors {
            let Some(ael) = element(ancestor) else {
                continue;
            };
            if ael.name() == "html" {
                break;
            }
            let entry = scores.entry(ancestor.id()).or_insert_with(|| {
                order.push(ancestor.id());
                initial(ael)
            });
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                n => n as f64 * 3.0,
            };
            *entry += score / divider;
            level += 1;
        }
    }
    // Scale by link density; pick the best.
    let mut ranked: Vec<(NodeId, f64)> = Vec::new();
    for &id in &order {
        let node = tree.get(id).expect("in tree");
        let node_stats = stat(node);
        let scaled = scores[&id] * (1.0 - link_density(node_stats));
        scores.insert(id, scaled);
        ranked.push((id, scaled));
    }
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    let Some(&(mut top, top_score)) = ranked.first() else {
        return (body.id(), removed);
    };
    if top == body.id() {
        return (body.id(), cleaned(body.id(), tree, removed, flags));
    }
    // Several near-best candidates under one ancestor: that ancestor is the article.
    let alternatives: Vec<Vec<NodeId>> = ranked
        .iter()
        .skip(1)
        .take(4)
        .filter(|(_, s)| top_score > 0.0 && s / top_score >= 0.75)
        .map(|(id, _)| {
            tree.get(*id)
                .expect("in tree")
                .ancestors()
                .map(|a| a.id())
                .collect()
        })
        .collect();
    if alternatives.len() >= 3 {
        let mut parent = tree.get(top).expect("in tree").parent();
        while let Some(p) = parent {
            if p.id() == body.id() || element(p).is_none() {
                break;
            }
            if alternatives.iter().filter(|a| a.contains(&p.id())).count() >= 3 {
                top = p.id();
                break;
            }
            parent = p.parent();
        }
    }
    // Climb while the parent scores better.
    {
        let mut last = scores.get(&top).copied().unwrap_or(0.0);
        let threshold = last / 3.0;
        let mut parent = tree.get(top).expect("in tree").parent();
        while let Some(p) = parent {
            if p.id() == body.id() || element(p).is_none() {
                break;
            }
            if let Some(&score) = scores.get(&p.id()) {
                if score < threshold {
                    break;
                }
                if score > last {
                    top = p.id();
                    break;
                }
                last = score;
            }
            parent = p.parent();
        }
    }
    // An only child stands for its parent.
    loop {
        let node = tree.get(top).expect("in tree");
        let Some(parent) = node.parent() else { break };
        if parent.id() == body.id() || element(parent).is_none() {
            break;
        }
        if parent.children().filter(|c| element(*c).is_some()).count() == 1 {
            top = parent.id();
        } else {
            break;
        }
    }
    top = into_layout_cell(tree, top, &removed, &stat);
    // Siblings that belong with the article.
    let top_node = tree.get(top).expect("in tree");
    let top_score = scores.get(&top).copied().unwrap_or(0.0);
    let Some(parent) = top_node.parent().filter(|p| element(*p).is_some()) else {
        return (top, cleaned(top, tree, removed, flags));
    };
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = element(top_node)
        .and_then(|e| e.attribute("class"))
        .unwrap_or("");
    let mut included = 0;
    let mut skip = removed.clone();
    for child in parent.children() {
        if child.id() == top {
            included += 1;
            continue;
        }
        let Some(el) = element(child) else {
            skip.insert(child.id());
            continue;
        };
        let bonus = if !top_class.is_empty() && el.attribute("class") == Some(top_class) {
            top_score * 0.2
        } else {
            0.0
        };
        let score = scores.get(&child.id()).copied();
        let mut append = score.is_some_and(|s| s + bonus >= threshold);
        if !append && el.name() == "p" {
            let s = stat(child);
            let density = link_density(s);
            let text: String = ElementRef::wrap(child)
                .map(|e| e.text().collect())
                .unwrap_or_default();
            append = (s.chars > 80 && density < 0.25)
                || (s.chars < 80
                    && s.chars > 0
                    && density == 0.0
                    && (text.contains(". ") || text.trim_end().ends_with('.')));
        }
        if append && !removed.contains(&child.id()) {
            included += 1;
        } else {
            skip.insert(child.id());
        }
    }
    if included <= 1 {
        return (top, cleaned(top, tree, removed, flags));
    }
    (parent.id(), cleaned(parent.id(), tree, skip, flags))
}

/// Legacy pages lay out header, menu, text and footer as cells of one table, and scoring
/// alone often lands on the wrong part of it (a row crediting every cell, or a footer
/// address rich in commas). When the best candidate sits in (or wraps) a layout table, the
/// text cell is the one with clearly the most text, links counting half: take it unless
/// the candidate's prose is spread over several cells. A candidate inside a cell stands.
fn into_layout_cell(
    tree: &ego_tree::Tree<Node>,
    top: NodeId,
    removed: &NodeSet,
    stat: &dyn Fn(NodeRef<'_, Node>) -> Stats,
) -> NodeId {
    let is_layout_table =
        |n: NodeRef<'_, Node>| element(n).is_some_and(|e| e.name() == "table") && !is_data_table(n);
    let top_node = tree.get(top).expect("in tree");
    let inside_cell = top_node
        .ancestors()
        .any(|a| element(a).is_some_and(|e| matches!(e.name(), "td" | "th")));
    if inside_cell {
        // Scoring chose within a cell: trust it.
        return top;
    }
    let outermost = std::iter::once(top_node)
        .chain(top_node.ancestors())
        .filter(|n| is_layout_table(*n))
        .last()
        .or_else(|| {
            // A wrapper (`center`, `font`, `div`) around the layout table.
            let mut node = top_node;
            loop {
                let mut children = node.children().filter(|c| element(*c).is_some());
                match (children.next(), children.next()) {
                    (Some(only), None) if is_layout_table(only) => return Some(only),
                    (Some(only), None) => node = only,
                    _ => return None,
                }
            }
        });
    let Some(outermost) = outermost else {
        return top;
    };
    // Leaf cells: cells of layout tables holding no layout table themselves.
    let mut cells: Vec<(f64, NodeRef<'_, Node>)> = Vec::new();
    let mut pending = vec![outermost];
    while let Some(node) = pending.pop() {
        for child in node.children() {
            let Some(el) = element(child) else { continue };
            if removed.contains(&child.id()) {
                continue;
            }
            match el.name() {
                "table" if !is_layout_table(child) => {}
                "td" | "th" if !child.descendants().skip(1).any(is_layout_table) => {
                    let s = stat(child);
                    cells.push((s.chars as f64 - s.link_chars / 2.0, child));
                }
                _ => pending.push(child),
            }
        }
    }
    cells.sort_by(|a, b| b.0.total_cmp(&a.0));
    let cell = match cells.as_slice() {
        [(_, only)] => *only,
        [(best, cell), (second, _), ..] if *best > 0.0 && *best >= 1.5 * second => *cell,
        _ => return top,
    };
    let prose = |n: NodeRef<'_, Node>| {
        let s = stat(n);
        s.chars as f64 - s.link_chars
    };
    if cell.ancestors().any(|a| a.id() == top) && prose(cell) < 0.8 * prose(top_node) {
        return top;
    }
    cell.id()
}

/// Drops what still looks like furniture inside the chosen content.
fn cleaned(root: NodeId, tree: &ego_tree::Tree<Node>, mut skip: NodeSet, flags: Flags) -> NodeSet {
    let root_node = tree.get(root).expect("in tree");
    let mut candidates: Vec<NodeId> = Vec::new();
    for node in root_node.descendants().skip(1) {
        let Some(el) = element(node) else { continue };
        match el.name() {
            "form" | "fieldset" | "object" | "embed" | "footer" | "aside" | "input"
            | "textarea" | "select" | "button" | "iframe" => {
                skip.insert(node.id());
            }
            "h1" | "h2" if flags.weight_classes && class_weight(el) < 0.0 => {
                skip.insert(node.id());
            }
            "table" | "ul" | "ol" | "div" | "section" if flags.clean_conditionally => {
                candidates.push(node.id())
            }
            _ => {
                if signature_matches(el, &signals().share) && stats(node, &skip).chars < 500 {
                    skip.insert(node.id());
                }
            }
        }
    }
    // Tables hold many candidates: each table is judged once.
    let mut data_tables: NodeMap<bool> = NodeMap::default();
    for &id in candidates.iter().rev() {
        let node = tree.get(id).expect("in tree");
        if node.ancestors().any(|a| skip.contains(&a.id())) || skip.contains(&id) {
            continue;
        }
        if remove_conditionally(node, &skip, flags, &mut data_tables) {
            skip.insert(id);
        }
    }
    skip
}

fn is_data_table(node: NodeRef<'_, Node>) -> bool {
    let el = element(node).expect("element");
    if el.attribute("role") == Some("presentation") {
        return false;
    }
    if el.attribute("summary").is_some() {
        return true;
    }
    let mut rows = 0;
    let mut cols = 0;
    for d in node.descendants().skip(1) {
        let Some(e) = element(d) else { continue };
        match e.name() {
            "caption" | "thead" | "th" | "tfoot" | "colgroup" | "col" => return true,
            "table" => return false,
            "tr" => {
                rows += 1;
                cols = cols.max(
                    d.children()
                        .filter(|c| element(*c).is_some_and(|e| matches!(e.name(), "td" | "th")))
                        .count(),
                );
            }
            _ => {}
        }
    }
    rows >= 10 || cols > 4 || rows * cols > 10
}

/// Whether a candidate for removal looks like furniture rather than content.
/// `data_tables` remembers which tables were found to hold data.
fn remove_conditionally(
    node: NodeRef<'_, Node>,
    skip: &NodeSet,
    flags: Flags,
    data_tables: &mut NodeMap<bool>,
) -> bool {
    let el = element(node).expect("element");
    let name = el.name();
    let mut is_data = |table: NodeRef<'_, Node>| {
        *data_tables
            .entry(table.id())
            .or_insert_with(|| is_data_table(table))
    };
    if name == "table" && is_data(node) {
        return false;
    }
    if node
        .ancestors()
        .any(|a| element(a).is_some_and(|e| e.name() == "table") && is_data(a))
    {
        return false;
    }
    if node
        .ancestors()
        .any(|a| element(a).is_some_and(|e| e.name() == "code"))
    {
        return false;
    }
    let weight = if flags.weight_classes {
        class_weight(el)
    } else {
        0.0
    };
    if weight < 0.0 {
        return true;
    }
    let s = stats(node, skip);
    if s.commas >= 10 {
        return false;
    }
    let is_list = matches!(name, "ul" | "ol");
    let (mut p, mut img, mut li, mut input, mut embeds, mut heading_chars) =
        (0i64, 0i64, -100i64, 0i64, 0i64, 0usize);
    for d in node.descendants().skip(1) {
        if skip.contains(&d.id()) {
            continue;
        }
        let Some(e) = element(d) else { continue };
        match e.name() {
            "p" => p += 1,
            "img" => img += 1,
            "li" => li += 1,
            "input" => input += 1,
            "object" | "embed" | "iframe" => embeds += 1,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                heading_chars += ElementRef::wrap(d)
                    .map(|e| collapse(&e.text().collect::<String>()).len())
                    .unwrap_or(0);
            }
            _ => {}
        }
    }
    let density = link_density(s);
    let length = s.chars;
    let heading_density = if length == 0 {
        0.0
    } else {
        heading_chars as f64 / length as f64
    };
    let in_figure = node
        .ancestors()
        .any(|a| element(a).is_some_and(|e| e.name() == "figure"));
    (img > 1 && (p as f64 / img as f64) < 0.5 && !in_figure)
        || (!is_list && li > p)
        || (input > p / 3)
        || (!is_list
            && heading_density < 0.9
            && length < 25
            && (img == 0 || img > 2)
            && density > 0.0)
        || (!is_list && weight < 25.0 && density > 0.2)
        || (weight >= 25.0 && density > 0.5)
        || ((embeds == 1 && length < 75) || embeds > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_strip_takes_the_separator_with_the_site_name() {
        let strip = ["Health Protection Agency".to_owned(), "HPA".to_owned()];
        for title in [
            "Anthrax – Health Protection Agency",
            "Anthrax — Health Protection Agency",
            "HPA » Anthrax",
            "HPA · Anthrax",
            "Anthrax | HPA",
        ] {
            assert_eq!(clean_title(title, &strip), "Anthrax", "{title}");
        }
    }

    #[test]
    fn text_counts_count_as_their_definitions() {
        let definition = |text: &str| TextCounts {
            length: text.split_whitespace().map(|w| w.chars().count() + 1).sum(),
            commas: text.matches([',', '\u{ff0c}']).count(),
        };
        for text in [
            "",
            "   ",
            "one",
            " one  two\tthree\n",
            "a,b, c,,",
            "x\x0by\x0cz\rw",
            "caf\u{e9}, na\u{ef}ve\u{a0}word\u{2003}end\u{ff0c}more,",
            "a",
            " b",
            "\u{e9}",
            " \u{e9}\u{e9} ",
            "\u{a0}",
            "x\u{85}y\u{3000}\u{3000}z",
            "eight by eight, bytes\x08\x0e\x1f!\x7f,,,,,,,,        x",
        ] {
            assert_eq!(text_counts(text), definition(text), "{text:?}");
        }
        // Random texts of ASCII (every byte, spaces and commas often) and characters beyond
        // it, whitespace among them, at every alignment of the eight-byte steps.
        let pieces = [
            " ",
            " ",
            "\t",
            "\n",
            "\r",
            "\x0b",
            "\x0c",
            ",",
            ",",
            "a",
            "Z",
            "9",
            ".",
            "\x08",
            "\x0e",
            "\x1f",
            "!",
            "\x7f",
            "\u{a0}",
            "\u{85}",
            "\u{2003}",
            "\u{3000}",
            "\u{ff0c}",
            "é",
            "£",
            "—",
            "日",
            "𝒜",
            "word",
            "longer words",
        ];
        for text in crate::extract::generated_texts(&pieces, 0x9e37_79b9_7f4a_7c15, 5000) {
            assert_eq!(text_counts(&text), definition(&text), "{text:?}");
        }
    }

    #[test]
    fn visible_chars_counts_the_visible_text() {
        let html = Html::parse_document(
            "<body><div id=m><h1>Title</h1><p>One  two\n three</p><script>x()</script>\
             <ul><li>Four</li><li>fi<b>ve</b></li></ul><p>\u{a0}é  ü</p></div></body>",
        );
        let main = html.select(&Selector::parse("#m").unwrap()).next().unwrap();
        let skip = NodeSet::default();
        let text = visible_text(main, &skip);
        assert_eq!(text, "Title One two three Four five é ü");
        let length = text.chars().count();
        assert_eq!(visible_chars(main, &skip, usize::MAX), length);
        assert_eq!(visible_chars(main, &skip, 10), 10);
    }

    /// The one walk finds what separate walks of the page and of the main content find,
    /// for every element of real pages as the main content, with and without skipped
    /// nodes inside it.
    #[test]
    fn page_and_main_text_equal_separate_walks() {
        let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/readability");
        let mut dirs: Vec<_> = std::fs::read_dir(pages)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        // Blocks and text with no whitespace between them, where a missed break shows.
        let tight = [
            "<body><div><p>a</p>b<span><p>c</p>d</span><br>e<ul><li>f</li><li>g<b>h</b></li></ul>i</div>\
             <div>j<script>k</script>l<noscript><p>m</p></noscript>n<style>o</style><p>p</p>q</div></body>",
            "<html><head><title>t</title></head><body>a<div>b<table><tr><td>c</td><td>d<p>e</p>f</td></tr>\
             </table>g</div>h<h2>i</h2>j<template><p>k</p></template>l</body></html>",
            "<p>no body element</p>a<div>b</div>c",
        ];
        let sources = dirs
            .iter()
            .step_by(6)
            .map(|dir| std::fs::read_to_string(dir.join("source.html")).unwrap())
            .chain(tight.iter().map(|s| s.to_string()));
        let real_pages = dirs.iter().step_by(6).count();
        let mut compared = 0;
        for (source, html) in sources.enumerate() {
            // Every 23rd element of a real page; every element of a small one.
            let step = if source < real_pages { 23 } else { 1 };
            let document = Html::parse_document(&html);
            let root = document.root_element();
            let body = body_of(&document);
            let page_text = visible_text(body, &NodeSet::default());
            let elements: Vec<ElementRef<'_>> =
                root.descendants().filter_map(ElementRef::wrap).collect();
            for (n, &main) in elements.iter().enumerate().step_by(step) {
                let mut skip = NodeSet::default();
                for (i, d) in main.descendants().enumerate() {
                    if (i + n) % 5 == 1 {
                        skip.insert(d.id());
                    }
                }
                for skip in [NodeSet::default(), skip] {
                    let expected = (page_text.clone(), visible_text(main, &skip));
                    let found = page_and_main_text(body, main, &skip);
                    assert_eq!(found, expected, "page {source}, element {n}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000, "{compared} comparisons");
    }

    #[test]
    fn class_and_id_signals_match_in_any_case() {
        let html = Html::parse_document(
            "<div class='Main-Content' id='X'></div><div class='SideBar'></div>             <div id='promo HID'></div><div class='x'></div>",
        );
        let weights: Vec<f64> = html
            .select(&Selector::parse("div").unwrap())
            .map(|d| class_weight(d.value()))
            .collect();
        assert_eq!(weights, [25.0, -25.0, -25.0, 0.0]);
        let sidebar = html
            .select(&Selector::parse(".SideBar").unwrap())
            .next()
            .unwrap();
        assert!(signature_matches(sidebar.value(), &signals().unlikely));
        assert!(!signature_matches(sidebar.value(), &signals().maybe));
    }
}
