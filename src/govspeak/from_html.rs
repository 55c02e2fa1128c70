//! HTML -> Govspeak, on the DOM that extraction already parsed.
//!
//! The walk is iterative (`traverse` yields open and close edges), with an explicit stack of
//! frames, so no page, however deeply nested, can overflow a worker thread's stack. Frames
//! build a small tree of blocks; rendering that tree to text is a separate, pure step, so
//! decisions that need the whole element (is this table a layout table? is this list item
//! only a heading?) are taken once the element has closed.

use std::collections::HashSet;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Node};
use url::Url;

use crate::extract::AttributeByName;
use crate::extract::NodeSet;
use crate::extract::links::collapse_whitespace as collapse;

/// What a link to `url` becomes in the draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// Keep the link as it is: it leads off the legacy site.
    Keep,
    /// A legacy page with no new URL yet: kept as it is, for a decision.
    Undecided,
    /// A legacy page the legacy site itself answered with this error status: kept as it
    /// is, for an editor to remove or replace.
    Broken(u16),
    /// A legacy page that moves: link to its new URL.
    Rewrite(String),
    /// A file that becomes an attachment with this id (its file name).
    Attachment(String),
}

/// Settings for one conversion.
pub struct Options<'a> {
    /// The page's base URL (after `<base href>`), for resolving relative links.
    pub base: Option<&'a Url>,
    /// Decides what each resolved link becomes.
    pub link_target: &'a dyn Fn(&Url) -> LinkTarget,
    /// Nodes left out (the site's strip selectors, the heading that became the title).
    pub skip: &'a NodeSet,
}

/// A heading of the draft, at its Govspeak level (2..=6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
}

/// A link found while converting, as written into the draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertedLink {
    pub href: String,
    /// The link text, plain.
    pub text: String,
    /// The link text as Govspeak (escaped, with its emphasis).
    pub markup: String,
    pub target: LinkTarget,
}

/// The draft and what the converter noticed on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conversion {
    pub govspeak: String,
    pub headings: Vec<Heading>,
    pub links: Vec<ConvertedLink>,
    /// Attachment ids in order of first use.
    pub attachments: Vec<String>,
    /// Images (`[Image: id]`) that must be uploaded with the draft.
    pub images: Vec<String>,
    pub tables: usize,
    /// Tables of figures (a third or more of their body cells are numbers): data, not lists.
    pub numeric_tables: usize,
    /// Things an editor must look at, in order of first occurrence, without repeats.
    pub warnings: Vec<String>,
}

/// Elements dropped with everything inside them: page furniture, scripts, media and forms
/// (GOV.UK bodies cannot hold them; the audit reports what they were).
const DROPPED: &[&str] = &[
    "head", "title", "meta", "link", "script", "style", "noscript", "template", "video", "audio",
    "object", "embed", "iframe", "frame", "frameset", "applet", "canvas", "svg", "math", "form",
    "select", "option", "textarea", "button", "input", "nav", "map", "hr", "param",
];

/// Elements whose contents flow as inline text into the enclosing block.
const INLINE: &[&str] = &[
    "span", "font", "b", "strong", "i", "em", "u", "s", "strike", "small", "big", "sub", "sup",
    "label", "cite", "q", "dfn", "var", "kbd", "samp", "mark", "ins", "del", "time", "bdi", "bdo",
    "nobr", "tt", "o:p", "acronym", "data", "wbr",
];

#[derive(Debug)]
enum Block {
    Para(String),
    Heading(u8, String),
    List {
        ordered: bool,
        start: u32,
        items: Vec<Vec<Block>>,
    },
    Table(Table),
    Quote(Vec<Block>),
    Pre(String),
    Callout(char, String),
    Address(Vec<String>),
    Attachment(String),
    Image(String),
    /// A paragraph of a Word pseudo-list (`mso-list: l0 level2`), grouped when rendered.
    WordItem {
        level: usize,
        ordered: bool,
        text: String,
    },
}

#[derive(Debug, Default)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<(bool, String)>>,
    aligns: Vec<Option<&'static str>>,
}

impl Table {
    fn is_numeric(&self) -> bool {
        let cells: Vec<&str> = self
            .rows
            .iter()
            .flat_map(|r| {
                r.iter()
                    .filter(|(header, _)| !header)
                    .map(|(_, c)| c.trim())
            })
            .filter(|c| !c.is_empty())
            .collect();
        let numbers = cells
            .iter()
            .filter(|c| {
                let figure = c.trim_end_matches('%').replace([',', '£', '\\'], "");
                figure.parse::<f64>().is_ok() || matches!(figure.as_str(), "-" | "–" | "*" | "..")
            })
            .count();
        !cells.is_empty() && numbers * 3 >= cells.len()
    }
}

#[derive(Debug)]
enum Kind {
    /// Any block container: its blocks pass to the parent.
    Container,
    Heading(u8),
    List {
        ordered: bool,
        start: u32,
    },
    Item,
    Table {
        presentation: bool,
    },
    Row {
        in_head: bool,
    },
    Cell {
        header: bool,
        colspan: usize,
        rowspan: usize,
        align: Option<&'static str>,
    },
    Link {
        href: Option<String>,
    },
    Abbr {
        title: String,
    },
    Code,
    Pre,
    Quote,
    Callout(char),
    Address,
    WordItem {
        level: usize,
        ordered: Option<bool>,
    },
}

struct Frame {
    kind: Kind,
    blocks: Vec<Block>,
    inline: String,
    /// Rows of a table frame, cells of a row frame.
    rows: Vec<Row>,
    cells: Vec<CellData>,
}

#[derive(Debug)]
struct Row {
    in_head: bool,
    cells: Vec<CellData>,
}

#[derive(Debug)]
struct CellData {
    header: bool,
    colspan: usize,
    rowspan: usize,
    align: Option<&'static str>,
    blocks: Vec<Block>,
}

impl Frame {
    fn new(kind: Kind) -> Frame {
        Frame {
            kind,
            blocks: Vec::new(),
            inline: String::new(),
            rows: Vec::new(),
            cells: Vec::new(),
        }
    }
}

/// A hard line break inside a paragraph, kept safe from whitespace trimming until rendering.
const BREAK: char = '\u{1}';

struct Converter<'o, 'a> {
    options: &'o Options<'a>,
    stack: Vec<Frame>,
    /// Open elements that were pushed as frames (so their close pops one).
    framed: NodeSet,
    pre_depth: usize,
    code_depth: usize,
    /// Lists and quotes open around the current node.
    nesting: usize,
    out: Conversion,
    abbreviations: Vec<(String, String)>,
    /// Images in order of first use, with their alt text: `out.images` and one warning at
    /// the end.
    images: Vec<(String, String)>,
    /// What the lists above and `out`'s already hold, so that a page of 50,000 images or
    /// acronyms is not compared item by item (it took 17 s).
    seen: Seen,
}

#[derive(Default)]
struct Seen {
    warnings: HashSet<String>,
    images: HashSet<String>,
    attachments: HashSet<String>,
    abbreviations: HashSet<String>,
}

/// Lists and quotes nest this deep in a draft; deeper ones join the deepest. Their blocks
/// are written recursively and indented per level, so an unclosed `<ul>` on every line of a
/// legacy page must not make a draft that overflows the stack or grows with the square of
/// the page.
const MAX_NESTING: usize = 8;

/// Converts the element's content to Govspeak.
pub fn convert(root: ElementRef<'_>, options: &Options<'_>) -> Conversion {
    let mut converter = Converter {
        options,
        stack: vec![Frame::new(Kind::Container)],
        framed: NodeSet::default(),
        pre_depth: 0,
        code_depth: 0,
        nesting: 0,
        out: Conversion::default(),
        abbreviations: Vec::new(),
        images: Vec::new(),
        seen: Seen::default(),
    };
    let mut skipping: Option<NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(text) if !options.skip.contains(&node.id()) => converter.text(text),
                    Node::Element(element) => {
                        if node.id() != root.id() && converter.dropped(node.id(), element) {
                            skipping = Some(node.id());
                            continue;
                        }
                        let element_ref = ElementRef::wrap(node).expect("an element node");
                        converter.open(element_ref);
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                    continue;
                }
                if skipping.is_some() {
                    continue;
                }
                if let Node::Element(element) = node.value() {
                    let _ = element;
                    converter.close(node.id());
                }
            }
        }
    }
    converter.finish()
}

impl Converter<'_, '_> {
    fn top(&mut self) -> &mut Frame {
        self.stack.last_mut().expect("the root frame stays")
    }

    fn warn(&mut self, warning: String) {
        if self.seen.warnings.insert(warning.clone()) {
            self.out.warnings.push(warning);
        }
    }

    /// Whether the element and its subtree are left out, noting what was lost.
    fn dropped(&mut self, id: NodeId, element: &scraper::node::Element) -> bool {
        if self.options.skip.contains(&id) {
            return true;
        }
        let name = element.name();
        if element.attribute("hidden").is_some()
            || element.attribute("aria-hidden") == Some("true")
            || element.attribute("style").is_some_and(|s| {
                s.replace(' ', "")
                    .to_ascii_lowercase()
                    .contains("display:none")
            })
            || element
                .attribute("style")
                .is_some_and(|s| s.to_ascii_lowercase().contains("mso-list:ignore"))
        {
            return true;
        }
        if !DROPPED.contains(&name) {
            return false;
        }
        match name {
            "object" | "embed" | "applet" | "iframe" | "frame" => {
                let source = element
                    .attribute("data")
                    .or_else(|| element.attribute("src"))
                    .or_else(|| element.attribute("code"))
                    .unwrap_or("");
                self.warn(format!(
                    "embedded {name} removed ({source}): it needs a GOV.UK replacement"
                ));
            }
            "form" => {
                let action = element.attribute("action").unwrap_or("");
                self.warn(format!(
                    "form removed (action {action:?}): GOV.UK bodies cannot hold forms"
                ));
            }
            "video" | "audio" => self.warn(format!("{name} removed: upload it or link to it")),
            _ => {}
        }
        true
    }

    fn text(&mut self, text: &str) {
        if self.pre_depth > 0 {
            self.top().inline.push_str(text);
            return;
        }
        let code = self.code_depth > 0;
        let out = &mut self.top().inline;
        let at_line_start = out.trim_end_matches([' ']).is_empty() || out.ends_with(BREAK);
        if code || !at_line_start {
            return escape_words_into(out, text, code);
        }
        // Only the first word can start a line, where more characters are syntax.
        let start = text
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(text.len());
        escape_words_into(out, &text[..start], false);
        if start == text.len() {
            return;
        }
        let end = start
            + text[start..]
                .find(char::is_whitespace)
                .unwrap_or(text.len() - start);
        escape_into(out, &text[start..end], true);
        escape_words_into(out, &text[end..], false);
    }

    fn push(&mut self, id: NodeId, kind: Kind, block: bool) {
        if block {
            self.flush_inline();
        }
        self.framed.insert(id);
        self.stack.push(Frame::new(kind));
    }

    /// Opens a list or quote, or, past [`MAX_NESTING`], a plain container whose items join
    /// the enclosing ones.
    fn push_nested(&mut self, id: NodeId, kind: Kind) {
        if self.nesting < MAX_NESTING {
            self.nesting += 1;
            self.push(id, kind, true);
        } else {
            self.warn(format!(
                "lists or quotes nested more than {MAX_NESTING} deep: the deeper ones are kept \
                 as paragraphs of the deepest; check the structure"
            ));
            self.push(id, Kind::Container, true);
        }
    }

    /// Ends the paragraph being built in the top frame.
    fn flush_inline(&mut self) {
        let frame = self.top();
        if frame.inline.is_empty() {
            return;
        }
        let text = std::mem::take(&mut frame.inline);
        if let Some(block) = paragraph(&text) {
            self.emit([block]);
        }
    }

    fn open(&mut self, element: ElementRef<'_>) {
        let id = element.id();
        let el = element.value();
        let name = el.name();
        match name {
            "br" => {
                let frame = self.top();
                while frame.inline.ends_with(' ') {
                    frame.inline.pop();
                }
                if !frame.inline.is_empty() {
                    frame.inline.push(BREAK);
                }
            }
            "img" => self.image(el),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name.as_bytes()[1] - b'0';
                self.push(id, Kind::Heading(level), true);
            }
            "ul" | "ol" | "menu" | "dir" => {
                let start = el
                    .attribute("start")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1);
                let kind = Kind::List {
                    ordered: name == "ol",
                    start,
                };
                self.push_nested(id, kind);
            }
            "li" => self.push(id, Kind::Item, true),
            "table" => {
                let presentation = el.attribute("role") == Some("presentation");
                self.push(id, Kind::Table { presentation }, true);
            }
            "tr" => {
                let in_head = element
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|p| p.name() == "thead");
                self.push(id, Kind::Row { in_head }, true);
            }
            "td" | "th" => {
                let span = |attr: &str| {
                    el.attribute(attr)
                        .and_then(|s| s.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, 100)
                };
                let align = cell_alignment(el);
                self.push(
                    id,
                    Kind::Cell {
                        header: name == "th",
                        colspan: span("colspan"),
                        rowspan: span("rowspan"),
                        align,
                    },
                    true,
                );
            }
            "a" => {
                let href = el.attribute("href").map(str::to_owned);
                self.push(id, Kind::Link { href }, false);
            }
            "abbr" | "acronym" if el.attribute("title").is_some_and(|t| !t.trim().is_empty()) => {
                let title = collapse(el.attribute("title").unwrap_or_default());
                self.push(id, Kind::Abbr { title }, false);
            }
            "code" => {
                self.code_depth += 1;
                self.push(id, Kind::Code, false);
            }
            "pre" => {
                self.pre_depth += 1;
                self.push(id, Kind::Pre, true);
            }
            "blockquote" => self.push_nested(id, Kind::Quote),
            "address" => self.push(id, Kind::Address, true),
            "p" | "div" => {
                if let Some((level, ordered)) = word_list_item(element) {
                    self.push(id, Kind::WordItem { level, ordered }, true);
                } else if let Some(kind) = callout_kind(el) {
                    self.push(id, Kind::Callout(kind), true);
                } else {
                    self.push(id, Kind::Container, true);
                }
            }
            // Row groups are transparent: rows belong straight to their table.
            "tbody" | "thead" | "tfoot" | "colgroup" | "col" => {}
            _ if INLINE.contains(&name) => {}
            _ => self.push(id, Kind::Container, true),
        }
    }

    fn image(&mut self, el: &scraper::node::Element) {
        let alt = collapse(el.attribute("alt").unwrap_or_default());
        let in_link = self
            .stack
            .iter()
            .any(|f| matches!(f.kind, Kind::Link { .. }));
        if in_link {
            // A linked image (a logo, a thumbnail) stands for its link: its alt text is the
            // link text.
            if !alt.is_empty() {
                let frame = self.top();
                if !frame.inline.is_empty() && !frame.inline.ends_with(' ') {
                    frame.inline.push(' ');
                }
                escape_into(&mut frame.inline, &alt, false);
            }
            return;
        }
        if alt.is_empty() {
            return; // decorative: spacers, bullets, borders
        }
        let src = el.attribute("src").unwrap_or_default();
        let id = file_name(src).unwrap_or_else(|| "image".to_owned());
        self.flush_inline();
        self.emit([Block::Image(id.clone())]);
        if self.seen.images.insert(id.clone()) {
            self.images.push((id, alt));
        }
    }

    /// Adds finished blocks to the enclosing frame. Content sitting straight inside a list
    /// (a list nested in a list, as Google Docs writes it) joins the item before it.
    fn emit(&mut self, blocks: impl IntoIterator<Item = Block>) {
        let frame = self.top();
        if let Kind::List { .. } = frame.kind
            && let Some(row) = frame.rows.last_mut()
        {
            row.cells[0].blocks.extend(blocks);
            return;
        }
        frame.blocks.extend(blocks);
    }

    fn close(&mut self, id: NodeId) {
        if !self.framed.remove(&id) {
            return;
        }
        let mut frame = self.stack.pop().expect("a frame per framed element");
        if matches!(frame.kind, Kind::List { .. } | Kind::Quote) {
            self.nesting -= 1;
        }
        if !matches!(
            frame.kind,
            Kind::Link { .. } | Kind::Abbr { .. } | Kind::Code | Kind::Pre
        ) {
            let text = std::mem::take(&mut frame.inline);
            if let Some(block) = paragraph(&text) {
                frame.blocks.push(block);
            }
        }
        match frame.kind {
            Kind::Container => self.emit(frame.blocks),
            Kind::Heading(level) => {
                let text = flatten(&frame.blocks);
                if !text.is_empty() {
                    self.emit([Block::Heading(level, text)]);
                }
            }
            Kind::List { ordered, start } => {
                let items: Vec<Vec<Block>> = frame
                    .rows
                    .into_iter()
                    .map(|r| r.cells.into_iter().flat_map(|c| c.blocks).collect())
                    .collect();
                // Content before the first item stands before the list.
                self.emit(std::mem::take(&mut frame.blocks));
                if !items.is_empty() {
                    self.emit([Block::List {
                        ordered,
                        start,
                        items,
                    }]);
                }
            }
            Kind::Item => {
                let parent = self.top();
                if let Kind::List { .. } = parent.kind {
                    parent.rows.push(Row {
                        in_head: false,
                        cells: vec![cell(frame.blocks)],
                    });
                } else {
                    // A list item outside a list: its content is ordinary blocks.
                    self.emit(frame.blocks);
                }
            }
            Kind::Table { presentation } => {
                let (blocks, warnings) = build_table(frame.rows, frame.blocks, presentation);
                for w in warnings {
                    self.warn(w);
                }
                for block in &blocks {
                    if let Block::Table(table) = block {
                        self.out.tables += 1;
                        if table.is_numeric() {
                            self.out.numeric_tables += 1;
                        }
                    }
                }
                self.emit(blocks);
            }
            Kind::Row { in_head } => {
                let parent = self.top();
                if matches!(parent.kind, Kind::Table { .. }) {
                    parent.rows.push(Row {
                        in_head,
                        cells: frame.cells,
                    });
                } else {
                    let cells: Vec<Block> =
                        frame.cells.into_iter().flat_map(|c| c.blocks).collect();
                    self.emit(cells);
                    self.emit(frame.blocks);
                }
            }
            Kind::Cell {
                header,
                colspan,
                rowspan,
                align,
            } => {
                let data = CellData {
                    header,
                    colspan,
                    rowspan,
                    align,
                    blocks: frame.blocks,
                };
                let parent = self.top();
                if matches!(parent.kind, Kind::Row { .. }) {
                    parent.cells.push(data);
                } else {
                    self.emit(data.blocks);
                }
            }
            Kind::Link { ref href } => {
                let href = href.clone();
                self.close_link(href, frame)
            }
            Kind::Abbr { title } => {
                let text = frame.inline.trim().to_owned();
                let plain = text.replace('\\', "");
                if !plain.is_empty() && self.seen.abbreviations.insert(plain.clone()) {
                    self.abbreviations.push((plain, title));
                }
                self.append_inline(&frame.inline);
            }
            Kind::Code => {
                self.code_depth -= 1;
                let text = frame.inline.trim();
                if !text.is_empty() {
                    let fence = if text.contains('`') { "``" } else { "`" };
                    let code = format!("{fence}{text}{fence}");
                    self.append_inline(&code);
                }
            }
            Kind::Pre => {
                self.pre_depth -= 1;
                let text = frame.inline.trim_matches('\n').to_owned();
                if !text.trim().is_empty() {
                    self.emit([Block::Pre(text)]);
                }
            }
            Kind::Quote => {
                if !frame.blocks.is_empty() {
                    self.emit([Block::Quote(frame.blocks)]);
                }
            }
            Kind::Callout(kind) => {
                let simple = frame.blocks.len() == 1 && matches!(frame.blocks[0], Block::Para(_));
                if simple {
                    let Some(Block::Para(text)) = frame.blocks.pop() else {
                        unreachable!()
                    };
                    self.emit([Block::Callout(kind, text.replace("  \n", " "))]);
                } else {
                    self.emit(frame.blocks);
                }
            }
            Kind::Address => {
                let lines: Vec<String> = frame
                    .blocks
                    .iter()
                    .flat_map(|b| match b {
                        Block::Para(t) => t.split("  \n").map(str::to_owned).collect(),
                        other => vec![flatten(std::slice::from_ref(other))],
                    })
                    .filter(|l| !l.trim().is_empty())
                    .collect();
                if !lines.is_empty() {
                    self.emit([Block::Address(lines)]);
                }
            }
            Kind::WordItem { level, ordered } => {
                let text = flatten(&frame.blocks);
                if !text.is_empty() {
                    self.emit([Block::WordItem {
                        level,
                        ordered: ordered.unwrap_or(false),
                        text,
                    }]);
                }
            }
        }
    }

    fn append_inline(&mut self, text: &str) {
        let frame = self.top();
        if text.is_empty() {
            return;
        }
        if frame.inline.ends_with(' ') && text.starts_with(' ') {
            frame.inline.push_str(&text[1..]);
        } else {
            frame.inline.push_str(text);
        }
    }

    fn close_link(&mut self, href: Option<String>, frame: Frame) {
        let mut text = frame.inline.trim().replace(BREAK, " ");
        if !frame.blocks.is_empty() {
            let inner = flatten(&frame.blocks);
            text = if text.is_empty() {
                inner
            } else {
                format!("{inner} {text}")
            };
        }
        let leading = if frame.inline.starts_with(' ') {
            " "
        } else {
            ""
        };
        let trailing = if frame.inline.ends_with(' ') { " " } else { "" };
        let Some(href) = href.map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()) else {
            self.append_inline(&format!("{leading}{text}{trailing}"));
            return;
        };
        let lower = href.to_ascii_lowercase();
        if text.is_empty() {
            return; // an empty link says nothing
        }
        if lower.starts_with("javascript:") || href.starts_with('#') {
            self.append_inline(&format!("{leading}{text}{trailing}"));
            return;
        }
        let plain_text = text.replace('\\', "");
        if let Some(address) = href
            .strip_prefix("mailto:")
            .or_else(|| href.strip_prefix("MAILTO:"))
        {
            let address = address.split('?').next().unwrap_or_default();
            let written = if plain_text.eq_ignore_ascii_case(address) {
                format!("<{address}>")
            } else {
                format!("[{text}](mailto:{address})")
            };
            self.out.links.push(ConvertedLink {
                href: href.clone(),
                text: plain_text,
                markup: text,
                target: LinkTarget::Keep,
            });
            self.append_inline(&format!("{leading}{written}{trailing}"));
            return;
        }
        let resolved = match self.options.base {
            Some(base) => base.join(&href).ok(),
            None => Url::parse(&href).ok(),
        };
        let target = resolved
            .as_ref()
            .map_or(LinkTarget::Keep, |u| (self.options.link_target)(u));
        // An absolute href is written as the page had it; a relative one, resolved.
        let absolute = match &resolved {
            Some(u) if Url::parse(&href).is_err() => u.to_string(),
            _ => href.clone(),
        };
        self.out.links.push(ConvertedLink {
            href: absolute.clone(),
            text: plain_text.clone(),
            markup: text.clone(),
            target: target.clone(),
        });
        let written = match &target {
            LinkTarget::Attachment(id) => {
                if self.seen.attachments.insert(id.clone()) {
                    self.out.attachments.push(id.clone());
                }
                format!("[AttachmentLink: {id}]")
            }
            LinkTarget::Rewrite(new) => markdown_link(&text, &plain_text, new),
            LinkTarget::Keep | LinkTarget::Undecided | LinkTarget::Broken(_) => {
                markdown_link(&text, &plain_text, &absolute)
            }
        };
        self.append_inline(&format!("{leading}{written}{trailing}"));
    }

    fn finish(mut self) -> Conversion {
        while self.stack.len() > 1 {
            // Unbalanced frames cannot happen with a parsed DOM, but never lose text.
            let frame = self.stack.pop().expect("len > 1");
            let text = flatten(&frame.blocks) + &frame.inline;
            self.top().inline.push_str(&text);
        }
        self.flush_inline();
        let root = self.stack.pop().expect("the root frame");
        let mut renderer = Renderer::default();
        let mut text = renderer.blocks(&root.blocks);
        if !self.abbreviations.is_empty() {
            text.push_str("\n\n");
            for (abbr, title) in &self.abbreviations {
                text.push_str(&format!("*[{abbr}]: {title}\n"));
            }
        }
        let mut govspeak = tidy(&text);
        if !govspeak.is_empty() {
            govspeak.push('\n');
        }
        self.out.govspeak = govspeak;
        self.out.headings = renderer.headings;
        if renderer.skipped_levels {
            self.warn("heading levels skipped in the original: renumbered from ##".to_owned());
        }
        if !self.images.is_empty() {
            let warning = images_to_upload(&self.images);
            self.warn(warning);
        }
        self.out.images = self.images.into_iter().map(|(id, _)| id).collect();
        self.out
    }
}

fn cell(blocks: Vec<Block>) -> CellData {
    CellData {
        header: false,
        colspan: 1,
        rowspan: 1,
        align: None,
        blocks,
    }
}

/// A paragraph from an inline run, or none when it holds nothing but whitespace.
fn paragraph(text: &str) -> Option<Block> {
    let trimmed = text.trim_matches(|c: char| c == ' ' || c == BREAK);
    if trimmed.is_empty() {
        return None;
    }
    if !trimmed.contains(BREAK) {
        return Some(match lone_attachment(trimmed) {
            Some(id) => Block::Attachment(id),
            None => Block::Para(trimmed.to_owned()),
        });
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        if c == BREAK {
            while chars.peek().is_some_and(|&n| n == BREAK || n == ' ') {
                chars.next();
            }
            out.push_str("  \n");
        } else {
            out.push(c);
        }
    }
    if let Some(id) = lone_attachment(&out) {
        return Some(Block::Attachment(id));
    }
    Some(Block::Para(out))
}

/// `[AttachmentLink: id]` alone in its paragraph (perhaps with "(PDF, 120KB)" after it)
/// becomes a block attachment.
fn lone_attachment(text: &str) -> Option<String> {
    let rest = text.strip_prefix("[AttachmentLink: ")?;
    let end = rest.find(']')?;
    let id = &rest[..end];
    let after = rest[end + 1..].trim();
    let describes_file = after.is_empty()
        || (after.len() < 40
            && after.starts_with('(')
            && after.ends_with(')')
            && after
                .chars()
                .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    describes_file.then(|| id.to_owned())
}

/// Images an editor must upload with the draft shown in this many, then counted.
const IMAGES_NAMED: usize = 10;

/// One warning for all of a page's images, naming the first few with their alt text.
fn images_to_upload(images: &[(String, String)]) -> String {
    let mut named: Vec<String> = images
        .iter()
        .take(IMAGES_NAMED)
        .map(|(id, alt)| format!("{id} (alt {alt:?})"))
        .collect();
    if images.len() > IMAGES_NAMED {
        named.push(format!("{} more", images.len() - IMAGES_NAMED));
    }
    let list = match named.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => named.concat(),
    };
    format!(
        "{} image(s) must be uploaded with the draft: {list}",
        images.len()
    )
}

fn markdown_link(text: &str, plain_text: &str, url: &str) -> String {
    let url = url
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29");
    if plain_text == url || plain_text.trim_end_matches('/') == url.trim_end_matches('/') {
        return url;
    }
    format!("[{text}]({url})")
}

/// The text of blocks as one line (for link text, headings, cells).
fn flatten(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        let text = match block {
            Block::Para(t) | Block::Heading(_, t) | Block::Callout(_, t) | Block::Pre(t) => {
                t.replace("  \n", " ")
            }
            Block::WordItem { text, .. } => text.clone(),
            Block::List { items, .. } => items
                .iter()
                .map(|i| flatten(i))
                .collect::<Vec<_>>()
                .join(" "),
            Block::Quote(inner) => flatten(inner),
            Block::Table(t) => {
                let mut parts = t.header.clone();
                parts.extend(t.rows.iter().flat_map(|r| r.iter().map(|(_, c)| c.clone())));
                parts.join(" ")
            }
            Block::Address(lines) => lines.join(" "),
            Block::Attachment(id) => format!("[AttachmentLink: {id}]"),
            Block::Image(_) => String::new(),
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(text);
    }
    out
}

/// The last path segment of a URL or path, percent-decoded.
pub fn file_name(src: &str) -> Option<String> {
    let path = src.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some(crate::canonical::percent_decoded(name))
}

fn cell_alignment(el: &scraper::node::Element) -> Option<&'static str> {
    let from_style = el.attribute("style").and_then(|s| {
        let s = s.to_ascii_lowercase().replace(' ', "");
        let at = s.find("text-align:")?;
        Some(
            s[at + 11..]
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned(),
        )
    });
    let value =
        from_style.or_else(|| el.attribute("align").map(|a| a.trim().to_ascii_lowercase()))?;
    match value.as_str() {
        "left" => Some("left"),
        "center" | "centre" => Some("center"),
        "right" => Some("right"),
        _ => None,
    }
}

/// `mso-list: l0 level2 lfo1` on a Word paragraph: its list level and whether its marker
/// (in the `mso-list: Ignore` span) is a number or letter.
fn word_list_item(element: ElementRef<'_>) -> Option<(usize, Option<bool>)> {
    let style = element.value().attribute("style")?.to_ascii_lowercase();
    let at = style.find("mso-list:")?;
    let spec = &style[at + 9..];
    let level_at = spec.find("level")?;
    let digits: String = spec[level_at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let level = digits.parse::<usize>().ok()?.clamp(1, 9);
    let marker = element
        .descendent_elements()
        .find(|e| {
            e.value().attribute("style").is_some_and(|s| {
                s.to_ascii_lowercase()
                    .replace(' ', "")
                    .contains("mso-list:ignore")
            })
        })
        .map(|e| collapse(&e.text().collect::<String>().replace('\u{a0}', " ")));
    let ordered = marker.map(|m| {
        let m = m.trim_end_matches(['.', ')']);
        !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric())
    });
    Some((level, ordered))
}

fn callout_kind(el: &scraper::node::Element) -> Option<char> {
    for class in el.classes() {
        let class = class.to_ascii_lowercase();
        if ["warning", "alert", "important", "caution"]
            .iter()
            .any(|w| class.contains(w))
        {
            return Some('%');
        }
        if ["callout", "notice", "info-box", "infobox", "note"]
            .iter()
            .any(|w| class == *w || class.ends_with(&format!("-{w}")))
        {
            return Some('^');
        }
    }
    None
}

/// Where a cell sits in its table's grid: its row, its first column and the column after its
/// last.
struct Placed {
    row: usize,
    start: usize,
    end: usize,
}

/// Places each cell as a browser lays out a table: after the columns a cell above still
/// covers with its rowspan, the row growing as wide as its cells need.
fn place_cells(rows: &[Row]) -> (Vec<Placed>, Vec<bool>) {
    let mut placed = Vec::new();
    // Per column, the first row a rowspan above no longer covers.
    let mut covered_until: Vec<usize> = Vec::new();
    // Columns some cell starts in; the others exist only inside a colspan.
    let mut starts: Vec<bool> = Vec::new();
    for (row, cells) in rows.iter().enumerate() {
        let mut col = 0;
        for cell in &cells.cells {
            while covered_until.get(col).is_some_and(|&until| until > row) {
                col += 1;
            }
            let end = col + cell.colspan;
            if covered_until.len() < end {
                covered_until.resize(end, 0);
                starts.resize(end, false);
            }
            starts[col] = true;
            if cell.rowspan > 1 {
                for until in &mut covered_until[col..end] {
                    *until = (*until).max(row + cell.rowspan);
                }
            }
            placed.push(Placed {
                row,
                start: col,
                end,
            });
            col = end;
        }
    }
    (placed, starts)
}

/// A pipe table may hold this many cells, or four times the cells its markup has if more, before a
/// table made mostly of padding (one row of wide spans over many short rows) is unwrapped:
/// otherwise a few kilobytes of markup could become gigabytes of empty cells.
const MAX_PADDED_CELLS: usize = 100_000;

/// Decides between a data table (a Govspeak pipe table) and a layout table (its cells'
/// content, in reading order).
fn build_table(rows: Vec<Row>, loose: Vec<Block>, presentation: bool) -> (Vec<Block>, Vec<String>) {
    let mut warnings = Vec::new();
    let (placed, starts) = place_cells(&rows);
    // A column no cell starts in (a title row's `colspan="100"`) is dropped, not padded.
    let mut column_of = Vec::with_capacity(starts.len() + 1);
    let mut width = 0;
    for &start in &starts {
        column_of.push(width);
        width += usize::from(start);
    }
    column_of.push(width);
    let rich_cell = rows.iter().flat_map(|r| &r.cells).any(|c| {
        c.blocks.len() > 3
            || c.blocks
                .iter()
                .any(|b| !matches!(b, Block::Para(_) | Block::Attachment(_) | Block::Image(_)))
    });
    let padded = width.saturating_mul(rows.len());
    let too_sparse = padded > MAX_PADDED_CELLS.max(placed.len().saturating_mul(4));
    if too_sparse && !presentation && !rich_cell {
        warnings.push(format!(
            "table of {} rows and {width} columns, mostly empty: its cells are kept as paragraphs; \
             rebuild it as a table, or publish its data as a CSV attachment",
            rows.len()
        ));
    }
    let layout = presentation || rich_cell || too_sparse || width < 2 || rows.len() < 2;
    if layout {
        let mut blocks = loose;
        for row in rows {
            for cell in row.cells {
                blocks.extend(cell.blocks);
            }
        }
        return (blocks, warnings);
    }
    // Expand merged cells so that every row has the same number of cells.
    let mut grid: Vec<(bool, Vec<(bool, String)>)> = rows
        .iter()
        .map(|row| (row.in_head, vec![(false, String::new()); width]))
        .collect();
    let mut merged = false;
    let mut aligns: Vec<Option<&'static str>> = vec![None; width];
    let cells = rows.iter().flat_map(|r| &r.cells);
    for (at, cell) in placed.iter().zip(cells) {
        let column = column_of[at.start];
        merged |= cell.rowspan > 1 || column_of[at.end] - column > 1;
        if aligns[column].is_none() {
            aligns[column] = cell.align;
        }
        grid[at.row].1[column] = (cell.header, flatten(&cell.blocks));
    }
    grid.retain(|(_, out)| out.iter().any(|(_, t)| !t.is_empty()));
    if merged {
        warnings
            .push("table with merged cells: split into plain cells, check the layout".to_owned());
    }
    if grid.len() < 2 {
        let blocks = grid
            .into_iter()
            .flat_map(|(_, r)| r)
            .filter(|(_, t)| !t.is_empty())
            .map(|(_, t)| Block::Para(t))
            .collect();
        return (blocks, warnings);
    }
    let head_rows = grid.iter().take_while(|(in_head, _)| *in_head).count();
    if head_rows > 1 {
        warnings.push(
            "table with several heading rows: only the last one is kept as the heading".to_owned(),
        );
    }
    let header_index = head_rows.saturating_sub(1);
    let (_, header) = grid[header_index].clone();
    if head_rows == 0 && !header.iter().all(|(h, t)| *h || t.is_empty()) {
        warnings
            .push("table without a heading row: its first row is used as the heading".to_owned());
    }
    let mut table = Table {
        header: header.into_iter().map(|(_, t)| t).collect(),
        rows: Vec::new(),
        aligns,
    };
    for (_, row) in grid.into_iter().skip(header_index + 1) {
        table.rows.push(row);
    }
    let mut blocks = loose;
    blocks.push(Block::Table(table));
    (blocks, warnings)
}

/// Writes `word` with the characters Markdown or Govspeak would read as syntax escaped.
fn escape_into(out: &mut String, word: &str, at_line_start: bool) {
    let mut from = 0;
    if at_line_start {
        let first = word.chars().next().unwrap_or(' ');
        match first {
            '#' | '>' | '+' | '-' | '=' if word.len() == 1 || first == '#' || first == '>' => {
                out.push('\\');
            }
            '^' => {
                out.push_str("&#94;");
                from = 1;
            }
            '%' => {
                out.push_str("&#37;");
                from = 1;
            }
            _ => {}
        }
        // "2013." or "s1." at the start of a line would start a list or steps.
        let digits = word.strip_prefix('s').unwrap_or(word);
        let number_len = digits.bytes().take_while(u8::is_ascii_digit).count();
        if number_len > 0 && matches!(&digits[number_len..], "." | ")") {
            let split = word.len() - digits.len() + number_len;
            out.push_str(&word[..split]);
            out.push('\\');
            out.push_str(&word[split..]);
            return;
        }
        if super::NATIONS
            .iter()
            .any(|(n, _)| super::starts_with_marker(word, n))
        {
            out.push('\\');
        }
    }
    // Runs without a character to escape are copied whole.
    let bytes = word.as_bytes();
    let (mut copied, mut i) = (from, from);
    while i < bytes.len() {
        let (replacement, width): (&str, usize) = match bytes[i] {
            b'\\' => ("\\\\", 1),
            b'*' => ("\\*", 1),
            b'_' => ("\\_", 1),
            b'`' => ("\\`", 1),
            b'|' => ("\\|", 1),
            b'{' => ("\\{", 1),
            b'<' => ("\\<", 1),
            b'$' if word[i + 1..].starts_with(|n: char| n.is_ascii_uppercase() || n == '!') => {
                ("\\$", 1)
            }
            b'[' if GOVSPEAK_OPENERS
                .iter()
                .any(|p| word[i + 1..].trim_start().starts_with(p)) =>
            {
                ("\\[", 1)
            }
            b'&' if looks_like_entity(&word[i + 1..]) => ("&amp;", 1),
            // A no-break space (C2 A0 in UTF-8).
            0xC2 if bytes.get(i + 1) == Some(&0xA0) => (" ", 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&word[copied..i]);
        out.push_str(replacement);
        i += width;
        copied = i;
    }
    out.push_str(&word[copied..]);
}

/// What follows `[` in Govspeak's own syntax: `[Attachment: …]`, `[^1]` and the like.
const GOVSPEAK_OPENERS: [&str; 7] = [
    "Attachment",
    "AttachmentLink",
    "Image",
    "Contact",
    "embed:",
    "InlineAttachment",
    "^",
];

/// Whether a word written after `out` needs a space first: not at the start, nor after a
/// space or a line break.
fn needs_space(out: &str) -> bool {
    !matches!(out.as_bytes().last(), None | Some(b' ') | Some(1))
}

/// Bytes [`escape_words_into`] must look at: whitespace (and the bytes that start non-ASCII
/// whitespace) and the characters that [`escape_into`] may escape. Every other byte is
/// copied as it is, in runs.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            b'\\' | b'*' | b'_' | b'`' | b'|' | b'{' | b'<' | b'$' | b'[' | b'&'
        ) || matches!(b as u8, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    table
};

/// Writes the words of `text` one space apart, escaped as [`escape_into`] escapes a word
/// that does not start a line (or as they are, in `code`), ending with a space if `text`
/// ends in whitespace. The same as escaping each word of
/// [`split_at_whitespace`](crate::extract::split_at_whitespace), without the per-word
/// calls: runs of ordinary bytes are copied whole.
fn escape_words_into(out: &mut String, text: &str, code: bool) {
    let bytes = text.as_bytes();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if !SPECIAL[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        // One space between two words (the commonest special byte) stays as it is. Runs of
        // whitespace are read whole, so the character before it is a word's.
        if bytes[i] == b' '
            && i > 0
            && bytes[i - 1] != 1
            && bytes
                .get(i + 1)
                .is_none_or(|n| n.is_ascii() && !matches!(n, b'\t'..=b'\r' | b' '))
        {
            i += 1;
            continue;
        }
        let space = crate::extract::whitespace_len(text, i);
        if space > 0 {
            out.push_str(&text[copied..i]);
            i += space;
            while i < bytes.len() {
                match crate::extract::whitespace_len(text, i) {
                    0 => break,
                    more => i += more,
                }
            }
            if needs_space(out) {
                out.push(' ');
            }
            copied = i;
            continue;
        }
        // Called only for the ASCII bytes below, so `i + 1` is a character boundary.
        let rest = || &text[i + 1..];
        let replacement = match bytes[i] {
            _ if code => None,
            b'\\' => Some("\\\\"),
            b'*' => Some("\\*"),
            b'_' => Some("\\_"),
            b'`' => Some("\\`"),
            b'|' => Some("\\|"),
            b'{' => Some("\\{"),
            b'<' => Some("\\<"),
            b'$' if rest().starts_with(|n: char| n.is_ascii_uppercase() || n == '!') => Some("\\$"),
            // The words that follow inside this one: `rest` runs on past its end, but none
            // of these holds whitespace, so a match never reaches the next word.
            b'[' if GOVSPEAK_OPENERS.iter().any(|p| rest().starts_with(p)) => Some("\\["),
            b'&' if looks_like_entity(rest()) => Some("&amp;"),
            _ => None,
        };
        if let Some(replacement) = replacement {
            out.push_str(&text[copied..i]);
            out.push_str(replacement);
            copied = i + 1;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
}

/// `amp;`, `#160;`: text that Markdown would decode as a character reference.
fn looks_like_entity(rest: &str) -> bool {
    // Only the first ten bytes can hold the `;`: no need to search a long text for one.
    let head = &rest.as_bytes()[..rest.len().min(10)];
    head.iter().position(|&b| b == b';').is_some_and(|end| {
        end > 0
            && head[..end]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'#')
    })
}

/// Renders the block tree, numbering headings from `##` without skipped levels.
#[derive(Default)]
struct Renderer {
    /// Source levels of the open headings.
    open: Vec<u8>,
    headings: Vec<Heading>,
    skipped_levels: bool,
}

impl Renderer {
    fn heading_level(&mut self, source: u8) -> u8 {
        let source = source.max(2);
        while self.open.last().is_some_and(|&l| l >= source) {
            self.open.pop();
        }
        if self.open.last().is_some_and(|&parent| source > parent + 1) {
            self.skipped_levels = true;
        }
        self.open.push(source);
        (self.open.len() as u8 + 1).min(6)
    }

    fn blocks(&mut self, blocks: &[Block]) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < blocks.len() {
            if let Block::WordItem { .. } = blocks[i] {
                let run: Vec<&Block> = blocks[i..]
                    .iter()
                    .take_while(|b| matches!(b, Block::WordItem { .. }))
                    .collect();
                i += run.len();
                let list = word_list(&run);
                parts.push(self.block(&list));
                continue;
            }
            let text = self.block(&blocks[i]);
            if !text.trim().is_empty() {
                parts.push(text);
            }
            i += 1;
        }
        parts.join("\n\n")
    }

    fn block(&mut self, block: &Block) -> String {
        match block {
            Block::Para(text) => text.clone(),
            Block::Heading(level, text) => {
                let level = self.heading_level(*level);
                self.headings.push(Heading {
                    level,
                    text: text.replace('\\', ""),
                });
                format!("{} {}", "#".repeat(level as usize), text)
            }
            Block::List {
                ordered,
                start,
                items,
            } => self.list(*ordered, *start, items),
            Block::Table(table) => render_table(table),
            Block::Quote(inner) => {
                let text = self.blocks(inner);
                text.lines()
                    .map(|l| {
                        if l.is_empty() {
                            ">".to_owned()
                        } else {
                            format!("> {l}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Block::Pre(text) => text
                .lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Callout(kind, text) => format!("{kind}{text}{kind}"),
            Block::Address(lines) => format!("$A\n{}\n$A", lines.join("\n")),
            Block::Attachment(id) => format!("[Attachment: {id}]"),
            Block::Image(id) => format!("[Image: {id}]"),
            Block::WordItem { text, .. } => format!("- {text}"),
        }
    }

    /// A list; headings inside items are lifted out of it (GOV.UK lists hold no headings).
    fn list(&mut self, ordered: bool, start: u32, items: &[Vec<Block>]) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut current: Vec<String> = Vec::new();
        let mut number = start;
        for item in items {
            let mut lines: Vec<String> = Vec::new();
            for block in item {
                if let Block::Heading(..) = block {
                    if !current.is_empty() {
                        parts.push(current.join("\n"));
                        current.clear();
                    }
                    parts.push(self.block(block));
                    continue;
                }
                // `[Attachment:]` must start a line: within a list item it is a link.
                let text = match block {
                    Block::Attachment(id) => format!("[AttachmentLink: {id}]"),
                    other => self.block(other),
                };
                if text.trim().is_empty() {
                    continue;
                }
                let nested = matches!(block, Block::List { .. } | Block::WordItem { .. });
                if !lines.is_empty() && !nested {
                    lines.push(String::new());
                }
                lines.push(text);
            }
            if lines.is_empty() {
                continue;
            }
            let marker = if ordered {
                format!("{number}.")
            } else {
                "-".to_owned()
            };
            number += 1;
            let indent = " ".repeat(if ordered { marker.len() + 1 } else { 3 });
            let body = lines.join("\n");
            let mut out = String::new();
            for (n, line) in body.lines().enumerate() {
                if n == 0 {
                    out.push_str(&format!("{marker} {line}"));
                } else if line.is_empty() {
                    out.push('\n');
                } else {
                    out.push('\n');
                    out.push_str(&indent);
                    out.push_str(line);
                }
            }
            current.push(out);
        }
        if !current.is_empty() {
            parts.push(current.join("\n"));
        }
        parts.join("\n\n")
    }
}

/// Groups a run of Word pseudo-list paragraphs into a nested list.
fn word_list(run: &[&Block]) -> Block {
    fn build(run: &[(usize, bool, String)], level: usize) -> Block {
        let ordered = run.first().is_some_and(|(_, o, _)| *o);
        let mut items: Vec<Vec<Block>> = Vec::new();
        let mut i = 0;
        while i < run.len() {
            let (l, _, text) = &run[i];
            if *l <= level || items.is_empty() {
                items.push(vec![Block::Para(text.clone())]);
                i += 1;
            } else {
                let end = run[i..]
                    .iter()
                    .position(|(l2, _, _)| *l2 <= level)
                    .map_or(run.len(), |p| i + p);
                let nested = build(&run[i..end], run[i].0);
                items.last_mut().expect("an item").push(nested);
                i = end;
            }
        }
        Block::List {
            ordered,
            start: 1,
            items,
        }
    }
    let items: Vec<(usize, bool, String)> = run
        .iter()
        .filter_map(|b| match b {
            Block::WordItem {
                level,
                ordered,
                text,
            } => Some((*level, *ordered, text.clone())),
            _ => None,
        })
        .collect();
    let top = items.iter().map(|(l, _, _)| *l).min().unwrap_or(1);
    build(&items, top)
}

fn render_table(table: &Table) -> String {
    let mut out = String::new();
    let row = |cells: &mut dyn Iterator<Item = (bool, &str)>, out: &mut String| {
        for (n, (header, text)) in cells.enumerate() {
            if n == 0 && header {
                out.push_str("|# ");
            } else {
                out.push_str("| ");
            }
            out.push_str(text);
            out.push(' ');
        }
        out.push_str("|\n");
    };
    row(
        &mut table.header.iter().map(|t| (false, t.as_str())),
        &mut out,
    );
    for align in &table.aligns {
        out.push_str(match align {
            Some("left") => "| :-- ",
            Some("center") => "| :-: ",
            Some("right") => "| --: ",
            _ => "| --- ",
        });
    }
    out.push_str("|\n");
    for cells in &table.rows {
        row(&mut cells.iter().map(|(h, t)| (*h, t.as_str())), &mut out);
    }
    out.trim_end().to_owned()
}

/// The draft for a format that lists its files apart from the body (publications,
/// consultations): a paragraph or list item that was only a file link goes, as does a
/// heading ("Downloads") left with nothing under it; a file link within text becomes its
/// link text.
pub fn with_attachments_listed(conversion: &Conversion) -> String {
    let mut kept: Vec<String> = Vec::new();
    // The headings above the current line, innermost last.
    let mut open: Vec<Section> = Vec::new();
    for line in conversion.govspeak.lines() {
        if let Some(level) = heading_level(line) {
            close_sections(&mut open, &mut kept, level);
            open.push(Section {
                level,
                at: kept.len(),
                has_content: false,
                lost_files: false,
            });
            kept.push(line.to_owned());
            continue;
        }
        let file_only = (line.starts_with("[Attachment: ") && line.ends_with(']'))
            || list_item_text(line).is_some_and(|item| lone_attachment(item).is_some());
        if file_only {
            if let Some(section) = open.last_mut() {
                section.lost_files = true;
            }
            continue;
        }
        if !line.trim().is_empty()
            && let Some(section) = open.last_mut()
        {
            section.has_content = true;
        }
        let mut text = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find("[AttachmentLink: ") {
            let after = &rest[start + "[AttachmentLink: ".len()..];
            let Some(end) = after.find(']') else { break };
            let id = &after[..end];
            let markup = conversion
                .links
                .iter()
                .find(|l| matches!(&l.target, LinkTarget::Attachment(a) if a == id))
                .map_or(id, |l| l.markup.as_str());
            text.push_str(&rest[..start]);
            text.push_str(markup);
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        kept.push(text);
    }
    close_sections(&mut open, &mut kept, 0);
    let mut text = kept.join("\n");
    text.push('\n');
    let mut listed = tidy(&text);
    if !listed.is_empty() {
        listed.push('\n');
    }
    listed
}

/// A heading of the draft, while its files are taken out: where it stands in the kept
/// lines, and whether anything but files is under it.
struct Section {
    level: usize,
    at: usize,
    has_content: bool,
    lost_files: bool,
}

/// Ends the sections at `level` or deeper: one that held only files goes with its heading.
fn close_sections(open: &mut Vec<Section>, kept: &mut Vec<String>, level: usize) {
    while let Some(section) = open.pop_if(|s| s.level >= level) {
        let emptied = section.lost_files && !section.has_content;
        if emptied {
            kept.truncate(section.at);
        }
        if let Some(parent) = open.last_mut() {
            parent.lost_files |= section.lost_files;
            parent.has_content |= !emptied;
        }
    }
}

/// `## Heading` gives 2; `None` for any other line.
fn heading_level(line: &str) -> Option<usize> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    ((1..=6).contains(&level) && line[level..].starts_with(' ')).then_some(level)
}

/// The text of a list item's first line: `- x`, `* x` or `12. x`, indented or not.
fn list_item_text(line: &str) -> Option<&str> {
    let line = line.trim_start();
    if let Some(text) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some(text);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| line[digits..].strip_prefix(". "))?
}

/// Normalises the finished text: no trailing spaces (bar hard breaks), at most one blank
/// line in a row, no blank lines at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let hard_break = line.ends_with("  ") && !line.trim().is_empty();
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        if hard_break {
            out.push_str("  ");
        }
        out.push('\n');
    }
    out.trim_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping as first written, a character at a time.
    fn escape_char_by_char(out: &mut String, word: &str, at_line_start: bool) {
        let mut chars = word.char_indices().peekable();
        if at_line_start {
            let first = word.chars().next().unwrap_or(' ');
            match first {
                '#' | '>' | '+' | '-' | '=' if word.len() == 1 || first == '#' || first == '>' => {
                    out.push('\\');
                }
                '^' => {
                    out.push_str("&#94;");
                    chars.next();
                }
                '%' => {
                    out.push_str("&#37;");
                    chars.next();
                }
                _ => {}
            }
            // "2013." or "s1." at the start of a line would start a list or steps.
            let digits = word.strip_prefix('s').unwrap_or(word);
            let number_len = digits.bytes().take_while(u8::is_ascii_digit).count();
            if number_len > 0 && matches!(&digits[number_len..], "." | ")") {
                let split = word.len() - digits.len() + number_len;
                out.push_str(&word[..split]);
                out.push('\\');
                out.push_str(&word[split..]);
                return;
            }
            if crate::govspeak::NATIONS
                .iter()
                .any(|(n, _)| crate::govspeak::starts_with_marker(word, n))
            {
                out.push('\\');
            }
        }
        for (i, c) in chars {
            match c {
                '\\' | '*' | '_' | '`' | '|' | '{' | '<' => {
                    out.push('\\');
                    out.push(c);
                }
                '$' if word[i + 1..].starts_with(|n: char| n.is_ascii_uppercase() || n == '!') => {
                    out.push_str("\\$");
                }
                '[' if GOVSPEAK_OPENERS
                    .iter()
                    .any(|p| word[i + 1..].trim_start().starts_with(p)) =>
                {
                    out.push_str("\\[");
                }
                '&' if looks_like_entity(&word[i + 1..]) => {
                    out.push_str("&amp;");
                }
                '\u{a0}' => out.push(' '),
                _ => out.push(c),
            }
        }
    }

    /// Text written a word at a time, as [`Converter::text`] first did after its first word.
    fn escape_word_by_word(out: &mut String, text: &str, code: bool) {
        let mut pending_space = false;
        for word in crate::extract::split_at_whitespace(text) {
            if word.is_empty() {
                pending_space = true;
                continue;
            }
            if pending_space && needs_space(out) {
                out.push(' ');
            }
            pending_space = true;
            if code {
                out.push_str(word);
            } else {
                escape_into(out, word, false);
            }
        }
        if text.ends_with(char::is_whitespace) && needs_space(out) {
            out.push(' ');
        }
    }

    #[test]
    fn text_escapes_in_runs_as_it_did_a_word_at_a_time() {
        let alphabet = [
            "a",
            "Z",
            " ",
            "\u{1}",
            "\u{b}",
            "  ",
            "\t",
            "\n",
            "\u{a0}",
            "\u{2003}",
            "\u{3000}",
            "\u{85}",
            "\u{1680}",
            "é",
            "’",
            "€",
            "\u{e3}",
            "*",
            "_",
            "`",
            "|",
            "{",
            "<",
            "\\",
            "$",
            "$A",
            "$!",
            "[",
            "[Attachment:",
            "[^",
            "[embed:",
            "&",
            "&amp;",
            "&#160;",
            ";",
            "#",
            "1.",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next() % 30 {
                text.push_str(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            for before in ["", "x", "x ", "\u{1}"] {
                for code in [false, true] {
                    let (mut fast, mut slow) = (before.to_owned(), before.to_owned());
                    escape_words_into(&mut fast, &text, code);
                    escape_word_by_word(&mut slow, &text, code);
                    assert_eq!(fast, slow, "{text:?} after {before:?}, code {code}");
                }
            }
        }
    }

    #[test]
    fn escaping_copies_runs_as_escaping_each_character_did() {
        let words = [
            "",
            "plain",
            "#",
            "#tag",
            ">",
            "+",
            "-",
            "=",
            "-x",
            "^sup",
            "%pc",
            "2013.",
            "s1.",
            "12)",
            "a\\b",
            "*bold*",
            "_x_",
            "`c`",
            "a|b",
            "{x}",
            "<tag>",
            "$CTA",
            "$!",
            "$5",
            "[Attachment:",
            "[AttachmentLink:",
            "[ Image",
            "[^1]",
            "[x]",
            "&amp;",
            "&#160;",
            "&",
            "AT&T",
            "no\u{a0}break",
            "caf\u{e9}\u{a0}",
            "\u{c2}",
            "mixed*_|<{[Contact",
        ];
        for word in words {
            for at_line_start in [false, true] {
                let (mut fast, mut slow) = (String::new(), String::new());
                escape_into(&mut fast, word, at_line_start);
                escape_char_by_char(&mut slow, word, at_line_start);
                assert_eq!(fast, slow, "{word:?} {at_line_start}");
            }
        }
    }
}
