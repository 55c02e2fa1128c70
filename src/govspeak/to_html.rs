//! Govspeak -> HTML, for the `details.body` of a content item.
//!
//! Govspeak is kramdown Markdown plus GOV.UK's extensions, applied as pre-processing. Here
//! the extension blocks (callouts, boxes, steps, devolved content, attachments) are cut out
//! first and replaced by placeholder words; the rest is CommonMark (pulldown-cmark) rendered
//! by our own writer, which follows kramdown and Govspeak where they differ from CommonMark's
//! HTML: heading ids, `rel="external"`, `|#` header cells, alignment classes, footnotes,
//! acronyms, blockquote classes. Raw HTML is sanitised as Govspeak's sanitiser would.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use pulldown_cmark::{
    Alignment, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

/// A file attachment that `[Attachment: id]` and `[AttachmentLink: id]` refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentRef {
    pub id: String,
    pub url: String,
    pub title: String,
}

/// An uploaded image that `[Image: id]` refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub id: String,
    pub url: String,
    pub alt_text: String,
    pub caption: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RenderOptions<'a> {
    pub attachments: &'a [AttachmentRef],
    pub images: &'a [ImageRef],
    /// Number level 2 and 3 headings ("1.", "1.1"), as HTML publications do.
    pub auto_numbered_headings: bool,
}

/// A heading of the rendered body, as `details.headers` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    pub text: String,
    pub level: u8,
    pub id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub headers: Vec<Header>,
    /// Whether raw HTML had to be sanitised (Govspeak would call the document invalid).
    pub sanitised: bool,
}

/// Renders a Govspeak document.
pub fn render(govspeak: &str, options: &RenderOptions<'_>) -> Rendered {
    let source = match memchr::memchr(b'\r', govspeak.as_bytes()) {
        Some(_) => Cow::Owned(govspeak.replace("\r\n", "\n")),
        None => Cow::Borrowed(govspeak),
    };
    let (source, abbreviations) = take_abbreviations(&source);
    let mut attachments = HashMap::with_capacity(options.attachments.len());
    for attachment in options.attachments {
        attachments
            .entry(attachment.id.as_str())
            .or_insert(attachment);
    }
    let mut images = HashMap::with_capacity(options.images.len());
    for image in options.images {
        images.entry(image.id.as_str()).or_insert(image);
    }
    let mut state = State {
        options,
        attachments,
        images,
        abbreviations: Abbreviations::new(abbreviations),
        used_ids: HashMap::new(),
        headers: Vec::new(),
        numbering: [0, 0],
        raw_html: false,
    };
    let mut html = state.document(&source);
    let sanitised = state.raw_html;
    if sanitised {
        html = sanitise(&html);
    }
    Rendered {
        html,
        headers: state.headers,
        sanitised,
    }
}

struct State<'o, 'a> {
    options: &'o RenderOptions<'a>,
    /// The options' attachments and images by id (the first of an id), so that a page of
    /// thousands of files is not searched file by file for each.
    attachments: HashMap<&'a str, &'a AttachmentRef>,
    images: HashMap<&'a str, &'a ImageRef>,
    abbreviations: Abbreviations,
    used_ids: HashMap<String, usize>,
    headers: Vec<Header>,
    numbering: [usize; 2],
    raw_html: bool,
}

/// A Govspeak block cut out of the Markdown, rendered on its own.
enum Extension {
    Callout {
        class: &'static str,
        label: &'static str,
        body: String,
    },
    Box {
        class: &'static str,
        body: String,
    },
    Address(Vec<String>),
    Steps(Vec<String>),
    LegislativeList(String),
    Devolved {
        nation: String,
        body: String,
    },
    StatHeadline(String),
    Attachment(String),
    Image(String),
    Button {
        text: String,
        url: String,
        start: bool,
    },
}

const BOXES: &[(&str, &str)] = &[
    ("CTA", "call-to-action"),
    ("AI", "additional-information"),
    ("A", "address"),
    ("C", "contact"),
    ("D", "form-download"),
    ("E", "example"),
    ("I", "information"),
    ("P", "place"),
    ("!", "summary"),
];

/// Removes `*[ABBR]: expansion` lines, returning them.
fn take_abbreviations(source: &str) -> (String, Vec<(String, String)>) {
    let mut kept = String::with_capacity(source.len());
    let mut found = Vec::new();
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("*[")
            && let Some(end) = rest.find("]:")
        {
            let abbr = rest[..end].trim().to_owned();
            let expansion = rest[end + 2..].trim().to_owned();
            if !abbr.is_empty() {
                found.push((abbr, expansion));
                continue;
            }
        }
        kept.push_str(line);
    }
    // Longer terms first, so "PHE England" wins over "PHE".
    found.sort_by(|a: &(String, String), b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    (kept, found)
}

const PLACEHOLDER: &str = "GOVSPEAKPLACEHOLDER";
const INLINE_PLACEHOLDER: &str = "GOVSPEAKINLINE";

fn placeholder(n: usize) -> String {
    format!("{PLACEHOLDER}{n}X")
}

/// Puts each rendered piece where its `<prefix><n>X` token stands (for a block, the
/// paragraph Markdown wrapped the token in goes too), in one pass: replacing token after
/// token rescanned the whole body for each, and a page of 50,000 images took 12 s.
fn fill_placeholders(html: &str, prefix: &str, rendered: &[String], unwrap: bool) -> String {
    if rendered.is_empty() {
        return html.to_owned();
    }
    let mut out =
        String::with_capacity(html.len() + rendered.iter().map(String::len).sum::<usize>());
    let mut copied = 0;
    for at in memchr::memmem::find_iter(html.as_bytes(), prefix.as_bytes()) {
        if at < copied {
            continue;
        }
        let digits_at = at + prefix.len();
        let digits = html[digits_at..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = digits_at + digits;
        let piece = html[digits_at..end]
            .parse::<usize>()
            .ok()
            .filter(|_| html[end..].starts_with('X'))
            .and_then(|n| rendered.get(n));
        let Some(piece) = piece else { continue };
        let (mut start, mut stop) = (at, end + 1);
        if unwrap && html[..start].ends_with("<p>") && html[stop..].starts_with("</p>") {
            start -= 3;
            stop += 4;
        }
        out.push_str(&html[copied..start]);
        out.push_str(piece);
        copied = stop;
    }
    out.push_str(&html[copied..]);
    out
}

impl State<'_, '_> {
    /// Renders a document or a nested block body.
    fn document(&mut self, source: &str) -> String {
        let (markdown, extensions, inline) = self.cut_extensions(source);
        let html = self.markdown(&markdown);
        let blocks: Vec<String> = extensions
            .into_iter()
            .map(|extension| self.extension(extension))
            .collect();
        let html = fill_placeholders(&html, PLACEHOLDER, &blocks, true);
        fill_placeholders(&html, INLINE_PLACEHOLDER, &inline, false)
    }

    /// Cuts the extension blocks out of `source`, leaving placeholders.
    fn cut_extensions(&mut self, source: &str) -> (String, Vec<Extension>, Vec<String>) {
        let mut lines: Vec<&str> = Vec::with_capacity(source.len() / 64);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', source.as_bytes()) {
            lines.push(&source[start..end]);
            start = end + 1;
        }
        lines.push(&source[start..]);
        let mut out = String::with_capacity(source.len());
        let mut extensions: Vec<Extension> = Vec::new();
        // Inline extensions' HTML, each standing in the Markdown as the token of its index.
        let mut inline: Vec<String> = Vec::new();
        let mut i = 0;
        let push_block = |out: &mut String, extensions: &mut Vec<Extension>, ext: Extension| {
            out.push_str("\n\n");
            out.push_str(&placeholder(extensions.len()));
            out.push_str("\n\n");
            extensions.push(ext);
        };
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim_start();
            // $X ... $X boxes, on one line or several.
            if let Some((token, class)) = BOXES.iter().find(|(t, _)| box_token_at(trimmed, t)) {
                let marker = format!("${token}");
                let after = &trimmed[marker.len()..];
                if let Some(end) = find_box_end(after, &marker) {
                    let body = after[..end].to_owned();
                    let ext = box_extension(token, class, body);
                    push_block(&mut out, &mut extensions, ext);
                    out.push_str(&after[end + marker.len()..]);
                    out.push('\n');
                    i += 1;
                    continue;
                }
                // Look for the closing marker on a later line.
                if let Some(close) = (i + 1..lines.len())
                    .find(|&j| lines[j].contains(&marker) && box_token_in(lines[j], token))
                {
                    let mut body = after.to_owned();
                    for l in &lines[i + 1..close] {
                        body.push('\n');
                        body.push_str(l);
                    }
                    let closing = lines[close];
                    let at = closing.find(&marker).expect("found above");
                    body.push('\n');
                    body.push_str(&closing[..at]);
                    let ext = box_extension(token, class, body);
                    push_block(&mut out, &mut extensions, ext);
                    out.push_str(&closing[at + marker.len()..]);
                    out.push('\n');
                    i = close + 1;
                    continue;
                }
            }
            if let Some(rest) = trimmed.strip_prefix('^') {
                let body = rest.trim_end().trim_end_matches('^').to_owned();
                push_block(
                    &mut out,
                    &mut extensions,
                    Extension::Callout {
                        class: "info-notice",
                        label: "Information",
                        body,
                    },
                );
                i += 1;
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('%') {
                let body = rest.trim_end().trim_end_matches('%').to_owned();
                push_block(
                    &mut out,
                    &mut extensions,
                    Extension::Callout {
                        class: "help-notice",
                        label: "Warning",
                        body,
                    },
                );
                i += 1;
                continue;
            }
            if trimmed.starts_with("$LegislativeList")
                && let Some(close) =
                    (i..lines.len()).find(|&j| lines[j].contains("$EndLegislativeList"))
            {
                let mut body = trimmed["$LegislativeList".len()..].to_owned();
                for l in &lines[i + 1..close] {
                    body.push('\n');
                    body.push_str(l);
                }
                if close > i {
                    let closing = lines[close];
                    body.push('\n');
                    body.push_str(&closing[..closing.find("$EndLegislativeList").expect("found")]);
                }
                push_block(&mut out, &mut extensions, Extension::LegislativeList(body));
                i = close + 1;
                continue;
            }
            if let Some((nation, _)) = super::NATIONS
                .iter()
                .find(|(n, _)| super::starts_with_marker(trimmed, n))
            {
                let marker = format!(":{nation}:");
                let mut body = String::new();
                let first = &trimmed[marker.len()..];
                let mut j = i;
                let mut rest_line = first;
                let closed = loop {
                    if let Some(at) = rest_line.find(&marker) {
                        body.push_str(&rest_line[..at]);
                        break Some(rest_line[at + marker.len()..].to_owned());
                    }
                    body.push_str(rest_line);
                    j += 1;
                    if j >= lines.len() {
                        break None;
                    }
                    body.push('\n');
                    rest_line = lines[j];
                };
                if let Some(after) = closed {
                    push_block(
                        &mut out,
                        &mut extensions,
                        Extension::Devolved {
                            nation: (*nation).to_owned(),
                            body,
                        },
                    );
                    out.push_str(&after);
                    out.push('\n');
                    i = j + 1;
                    continue;
                }
            }
            if trimmed.starts_with("{stat-headline}")
                && let Some(end) = trimmed.find("{/stat-headline}")
            {
                let body = trimmed[15..end].to_owned();
                push_block(&mut out, &mut extensions, Extension::StatHeadline(body));
                i += 1;
                continue;
            }
            if is_step(trimmed) {
                let mut steps = Vec::new();
                while i < lines.len() && is_step(lines[i].trim_start()) {
                    let l = lines[i].trim_start();
                    let dot = l.find('.').expect("a step has a dot");
                    steps.push(l[dot + 1..].trim().to_owned());
                    i += 1;
                }
                push_block(&mut out, &mut extensions, Extension::Steps(steps));
                continue;
            }
            if let Some(id) = embed_line(trimmed, "Attachment:") {
                push_block(&mut out, &mut extensions, Extension::Attachment(id));
                i += 1;
                continue;
            }
            if let Some(id) = embed_line(trimmed, "Image:") {
                push_block(&mut out, &mut extensions, Extension::Image(id));
                i += 1;
                continue;
            }
            if let Some(button) = button_line(trimmed) {
                push_block(&mut out, &mut extensions, button);
                i += 1;
                continue;
            }
            let line = self.inline_extensions(line, &mut inline);
            out.push_str(&line);
            out.push('\n');
            i += 1;
        }
        (out, extensions, inline)
    }

    /// `[AttachmentLink: id]` and `x[text](url)x` within a line.
    fn inline_extensions<'l>(&self, line: &'l str, inline: &mut Vec<String>) -> Cow<'l, str> {
        // Both extensions open with a bracket; most lines have none.
        if memchr::memchr(b'[', line.as_bytes()).is_none() {
            return Cow::Borrowed(line);
        }
        // Most lines with a bracket hold ordinary links, and neither extension.
        let has = |needle: &str| memchr::memmem::find(line.as_bytes(), needle.as_bytes()).is_some();
        if !(has("[AttachmentLink:") || (has("x[") && has(")x"))) {
            return Cow::Borrowed(line);
        }
        let mut line = line.to_owned();
        while let Some(at) = line.find("[AttachmentLink:") {
            let Some(end) = line[at..].find(']') else {
                break;
            };
            let id = line[at + 16..at + end].trim().to_owned();
            let html = match self.attachments.get(id.as_str()) {
                Some(a) => format!(
                    "<span class=\"gem-c-attachment-link\"><a class=\"govuk-link\" href=\"{}\">{}</a></span>",
                    escape_attr(&a.url),
                    escape_text(&a.title)
                ),
                None => String::new(),
            };
            let token = format!("{INLINE_PLACEHOLDER}{}X", inline.len());
            inline.push(html);
            line.replace_range(at..at + end + 1, &token);
        }
        // x[text](url)x: the x markers only force rel="external", which every off-GOV.UK
        // link gets anyway.
        if line.contains("x[") && line.contains(")x") {
            let mut out = String::with_capacity(line.len());
            let mut rest = line.as_str();
            while let Some(at) = rest.find("x[") {
                let candidate = &rest[at + 1..];
                let boundary = at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric();
                if let Some(close) = candidate.find(")x")
                    && boundary
                    && candidate[..close].contains("](")
                {
                    out.push_str(&rest[..at]);
                    out.push_str(&candidate[..close + 1]);
                    rest = &candidate[close + 2..];
                } else {
                    out.push_str(&rest[..at + 2]);
                    rest = &rest[at + 2..];
                }
            }
            out.push_str(rest);
            line = out;
        }
        Cow::Owned(line)
    }

    fn extension(&mut self, extension: Extension) -> String {
        match extension {
            Extension::Callout { class, label, body } => {
                let inner = self.document(body.trim());
                format!(
                    "<div role=\"note\" aria-label=\"{label}\" class=\"application-notice {class}\">\n{inner}</div>\n"
                )
            }
            Extension::Box { class, body } => {
                let inner = self.document(body.trim_matches('\n'));
                format!("<div class=\"{class}\">\n{inner}</div>\n")
            }
            Extension::Address(lines) => {
                let lines: Vec<String> = lines
                    .iter()
                    .map(|l| escape_text(l.trim_end().trim_end_matches('\\').trim_end()))
                    .filter(|l| !l.is_empty())
                    .collect();
                format!(
                    "<div class=\"address\"><div class=\"adr org fn\"><p>\n{}\n</p></div></div>\n",
                    lines.join("<br>")
                )
            }
            Extension::Steps(steps) => {
                let mut html = String::from("<ol class=\"steps\">\n");
                for step in steps {
                    let inner = self.document(&step);
                    let _ = writeln!(html, "<li>{inner}</li>");
                }
                html.push_str("</ol>\n");
                html
            }
            Extension::LegislativeList(body) => {
                // Authors number the items themselves: "* 1. text" must not start a list.
                let escaped: String = body
                    .lines()
                    .map(|l| {
                        let indent = l.len() - l.trim_start().len();
                        let t = l.trim_start();
                        if let Some(item) = t.strip_prefix("* ") {
                            let digits = item.chars().take_while(char::is_ascii_digit).count();
                            if digits > 0 && item[digits..].starts_with('.') {
                                return format!(
                                    "{}* {}\\{}",
                                    &l[..indent],
                                    &item[..digits],
                                    &item[digits..]
                                );
                            }
                        }
                        l.to_owned()
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let inner = self.document(&escaped);
                let inner = inner.replace("<ul>", "<ol>").replace("</ul>", "</ol>");
                let inner = inner.replacen("<ol>", "<ol class=\"legislative-list\">", 1);
                format!("<div class=\"legislative-list-wrapper\">{inner}</div>\n")
            }
            Extension::Devolved { nation, body } => {
                let name = super::NATIONS
                    .iter()
                    .find(|(n, _)| *n == nation)
                    .map_or("", |(_, name)| name);
                let inner = self.document(body.trim());
                format!(
                    "<div class=\"devolved-content {nation}\">\n<p class=\"devolved-header\">This section applies to {name}</p>\n<div class=\"devolved-body\">{inner}</div>\n</div>\n"
                )
            }
            Extension::StatHeadline(body) => {
                let inner = self.document(body.trim());
                format!("<div class=\"stat-headline\">\n{inner}</div>\n")
            }
            Extension::Attachment(id) => match self.attachments.get(id.as_str()) {
                Some(a) => format!(
                    "<section class=\"gem-c-attachment\"><h3 class=\"gem-c-attachment__title\"><a class=\"govuk-link\" href=\"{}\">{}</a></h3></section>\n",
                    escape_attr(&a.url),
                    escape_text(&a.title)
                ),
                None => String::new(),
            },
            Extension::Image(id) => match self.images.get(id.as_str()) {
                Some(image) => {
                    let caption = image
                        .caption
                        .as_deref()
                        .map(|c| format!("\n<figcaption><p>{}</p></figcaption>", escape_text(c)))
                        .unwrap_or_default();
                    format!(
                        "<figure class=\"image embedded\"><div class=\"img\"><img src=\"{}\" alt=\"{}\"></div>{caption}</figure>\n",
                        escape_attr(&image.url),
                        escape_attr(&image.alt_text)
                    )
                }
                None => String::new(),
            },
            Extension::Button { text, url, start } => {
                let class = if start {
                    "gem-c-button govuk-button govuk-button--start"
                } else {
                    "gem-c-button govuk-button"
                };
                format!(
                    "<p><a class=\"{class}\" role=\"button\" data-module=\"govuk-button\" draggable=\"false\" href=\"{}\">{}</a></p>\n",
                    escape_attr(&url),
                    escape_text(&text)
                )
            }
        }
    }

    /// Renders CommonMark with Govspeak's conventions.
    fn markdown(&mut self, markdown: &str) -> String {
        let markdown = unquote_blockquotes(markdown);
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_SMART_PUNCTUATION
            | Options::ENABLE_HEADING_ATTRIBUTES
            | Options::ENABLE_STRIKETHROUGH;
        let events: Vec<Event<'_>> = Parser::new_ext(&markdown, options).collect();
        let mut writer = Writer::new(self);
        writer.run(events);
        writer.finish()
    }

    fn heading_id(&mut self, text: &str, explicit: Option<&str>) -> String {
        if let Some(id) = explicit {
            return id.to_owned();
        }
        let trimmed = text.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
        let mut id: String = trimmed
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
            .map(|c| {
                if c == ' ' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        if id.is_empty() {
            id = "section".to_owned();
        }
        match self.used_ids.get_mut(&id) {
            Some(n) => {
                *n += 1;
                format!("{id}-{n}")
            }
            None => {
                self.used_ids.insert(id.clone(), 0);
                id
            }
        }
    }
}

fn box_token_at(line: &str, token: &str) -> bool {
    line.strip_prefix('$')
        .and_then(|r| r.strip_prefix(token))
        .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_uppercase()))
}

fn box_token_in(line: &str, token: &str) -> bool {
    let marker = format!("${token}");
    line.match_indices(&marker)
        .any(|(at, _)| !line[at + marker.len()..].starts_with(|c: char| c.is_ascii_uppercase()))
}

fn find_box_end(after: &str, marker: &str) -> Option<usize> {
    after
        .match_indices(marker)
        .find(|(at, _)| !after[at + marker.len()..].starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|(at, _)| at)
}

fn box_extension(token: &str, class: &'static str, body: String) -> Extension {
    if token == "A" {
        Extension::Address(body.trim_matches('\n').lines().map(str::to_owned).collect())
    } else {
        Extension::Box { class, body }
    }
}

fn is_step(line: &str) -> bool {
    line.strip_prefix('s').is_some_and(|r| {
        let digits = r.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && r[digits..].starts_with(". ")
    })
}

/// `[Attachment: id]` or `[Image: id]` alone on a line.
fn embed_line(line: &str, kind: &str) -> Option<String> {
    let rest = line.trim_end().strip_prefix('[')?.strip_prefix(kind)?;
    let id = rest.strip_suffix(']')?;
    (!id.contains(']')).then(|| id.trim().to_owned())
}

fn button_line(line: &str) -> Option<Extension> {
    let rest = line.trim_end().strip_prefix("{button")?;
    let close = rest.find('}')?;
    let flags = &rest[..close];
    let link = rest[close + 1..].strip_suffix("{/button}")?;
    let text_end = link.find("](")?;
    let text = link.strip_prefix('[')?[..text_end - 1].to_owned();
    let url = link[text_end + 2..].strip_suffix(')')?.to_owned();
    Some(Extension::Button {
        text,
        url,
        start: flags.contains("start"),
    })
}

/// Govspeak removes the quote marks that wrap a blockquote's text.
fn unquote_blockquotes(markdown: &str) -> String {
    if !markdown.contains('>') {
        return markdown.to_owned();
    }
    markdown
        .split('\n')
        .map(|line| {
            let Some(rest) = line.strip_prefix('>') else {
                return line.to_owned();
            };
            let text = rest.trim();
            let opens = text.starts_with('"') || text.starts_with('\u{201c}');
            let closes = text.ends_with('"') || text.ends_with('\u{201d}');
            if opens && closes && text.chars().count() >= 2 {
                let inner: String = {
                    let mut chars = text.chars();
                    chars.next();
                    chars.next_back();
                    chars.collect()
                };
                format!("> {inner}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes HTML from pulldown-cmark events.
struct Writer<'s, 'o, 'a> {
    state: &'s mut State<'o, 'a>,
    out: String,
    /// Output buffers for elements whose opening tag depends on their content (headings,
    /// table cells, blockquotes, footnote definitions).
    saved: Vec<String>,
    heading: Option<(u8, Option<String>)>,
    heading_text: String,
    table_alignments: Vec<Alignment>,
    in_table_head: bool,
    cell_index: usize,
    link_stack: Vec<bool>,
    image: Option<(String, String)>,
    footnote_label: Option<String>,
    footnote_defs: HashMap<String, String>,
    footnote_order: Vec<String>,
    footnote_refs: HashMap<String, usize>,
    quote_depth: usize,
    code_block: bool,
}

impl<'s, 'o, 'a> Writer<'s, 'o, 'a> {
    fn new(state: &'s mut State<'o, 'a>) -> Self {
        Writer {
            state,
            out: String::new(),
            saved: Vec::new(),
            heading: None,
            heading_text: String::new(),
            table_alignments: Vec::new(),
            in_table_head: false,
            cell_index: 0,
            link_stack: Vec::new(),
            image: None,
            footnote_label: None,
            footnote_defs: HashMap::new(),
            footnote_order: Vec::new(),
            footnote_refs: HashMap::new(),
            quote_depth: 0,
            code_block: false,
        }
    }

    fn begin_capture(&mut self) {
        self.saved.push(std::mem::take(&mut self.out));
    }

    fn end_capture(&mut self) -> String {
        let captured = std::mem::take(&mut self.out);
        self.out = self.saved.pop().unwrap_or_default();
        captured
    }

    fn run(&mut self, events: Vec<Event<'_>>) {
        for event in events {
            match event {
                Event::Start(tag) => self.start(tag),
                Event::End(tag) => self.end(tag),
                Event::Text(text) => self.text(&text),
                Event::Code(code) => {
                    let _ = write!(self.out, "<code>{}</code>", escape_text(&code));
                    if self.heading.is_some() {
                        self.heading_text.push_str(&code);
                    }
                }
                Event::Html(html) | Event::InlineHtml(html) => {
                    self.state.raw_html = true;
                    self.out.push_str(&html);
                }
                Event::InlineMath(m) | Event::DisplayMath(m) => self.out.push_str(&escape_text(&m)),
                Event::FootnoteReference(label) => self.footnote_reference(&label),
                Event::SoftBreak => {
                    self.out.push('\n');
                    if self.heading.is_some() {
                        self.heading_text.push(' ');
                    }
                }
                Event::HardBreak => self.out.push_str("<br>\n"),
                Event::Rule => self.out.push_str("<hr>\n"),
                Event::TaskListMarker(done) => {
                    self.out.push_str(if done { "[x] " } else { "[ ] " });
                }
            }
        }
    }

    fn text(&mut self, text: &CowStr<'_>) {
        if let Some((_, alt)) = &mut self.image {
            alt.push_str(text);
            return;
        }
        if self.heading.is_some() {
            self.heading_text.push_str(text);
        }
        if self.code_block {
            escape_text_into(&mut self.out, text);
            return;
        }
        with_abbreviations_into(&mut self.out, text, &self.state.abbreviations);
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.out.push_str("<p>"),
            Tag::Heading { level, id, .. } => {
                self.heading = Some((heading_number(level), id.map(|i| i.to_string())));
                self.heading_text.clear();
                self.begin_capture();
            }
            Tag::BlockQuote(_) => {
                self.quote_depth += 1;
                self.begin_capture();
            }
            Tag::CodeBlock(_) => {
                self.code_block = true;
                self.out.push_str("<pre><code>");
            }
            Tag::HtmlBlock => self.state.raw_html = true,
            Tag::List(Some(1)) => self.out.push_str("<ol>\n"),
            Tag::List(Some(start)) => {
                let _ = writeln!(self.out, "<ol start=\"{start}\">");
            }
            Tag::List(None) => self.out.push_str("<ul>\n"),
            Tag::Item => self.out.push_str("<li>"),
            Tag::FootnoteDefinition(label) => {
                self.footnote_label = Some(label.to_string());
                self.begin_capture();
            }
            Tag::Table(alignments) => {
                self.table_alignments = alignments;
                self.out.push_str("<table>\n");
            }
            Tag::TableHead => {
                self.in_table_head = true;
                self.cell_index = 0;
                self.out.push_str("<thead>\n<tr>\n");
            }
            Tag::TableRow => {
                self.cell_index = 0;
                self.out.push_str("<tr>\n");
            }
            Tag::TableCell => self.begin_capture(),
            Tag::Emphasis => self.out.push_str("<em>"),
            Tag::Strong => self.out.push_str("<strong>"),
            Tag::Strikethrough => self.out.push_str("<del>"),
            Tag::Superscript => self.out.push_str("<sup>"),
            Tag::Subscript => self.out.push_str("<sub>"),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let href = if link_type == LinkType::Email {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                let external = is_external(&href);
                if external {
                    let _ = write!(
                        self.out,
                        "<a rel=\"external\" href=\"{}\">",
                        escape_attr(&href)
                    );
                } else {
                    let _ = write!(self.out, "<a href=\"{}\">", escape_attr(&href));
                }
                self.link_stack.push(external);
            }
            Tag::Image { dest_url, .. } => self.image = Some((dest_url.to_string(), String::new())),
            Tag::MetadataBlock(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.out.push_str("</p>\n"),
            TagEnd::Heading(_) => {
                let inner = self.end_capture();
                let (level, explicit) = self.heading.take().unwrap_or((2, None));
                let text = self.heading_text.trim().to_owned();
                let id = self.state.heading_id(&text, explicit.as_deref());
                let mut prefix = String::new();
                if self.state.options.auto_numbered_headings && (level == 2 || level == 3) {
                    let n = &mut self.state.numbering;
                    if level == 2 {
                        n[0] += 1;
                        n[1] = 0;
                        prefix = format!("{}. ", n[0]);
                    } else {
                        n[1] += 1;
                        prefix = format!("{}.{} ", n[0], n[1]);
                    }
                }
                self.state.headers.push(Header {
                    text: text.clone(),
                    level,
                    id: id.clone(),
                });
                let _ = writeln!(
                    self.out,
                    "<h{level} id=\"{}\">{prefix}{inner}</h{level}>",
                    escape_attr(&id)
                );
            }
            TagEnd::BlockQuote(_) => {
                self.quote_depth -= 1;
                let mut inner = self.end_capture();
                if let Some(at) = inner.rfind("<p>") {
                    inner.replace_range(at..at + 3, "<p class=\"last-child\">");
                }
                let _ = write!(self.out, "<blockquote>\n{inner}</blockquote>\n");
            }
            TagEnd::CodeBlock => {
                self.code_block = false;
                self.out.push_str("</code></pre>\n");
            }
            TagEnd::HtmlBlock => {}
            TagEnd::List(true) => self.out.push_str("</ol>\n"),
            TagEnd::List(false) => self.out.push_str("</ul>\n"),
            TagEnd::Item => self.out.push_str("</li>\n"),
            TagEnd::FootnoteDefinition => {
                let inner = self.end_capture();
                if let Some(label) = self.footnote_label.take() {
                    self.footnote_defs.insert(label, inner);
                }
            }
            TagEnd::Table => self.out.push_str("</tbody>\n</table>\n"),
            TagEnd::TableHead => {
                self.in_table_head = false;
                self.out.push_str("</tr>\n</thead>\n<tbody>\n");
            }
            TagEnd::TableRow => self.out.push_str("</tr>\n"),
            TagEnd::TableCell => {
                let inner = self.end_capture();
                self.table_cell(inner);
            }
            TagEnd::Emphasis => self.out.push_str("</em>"),
            TagEnd::Strong => self.out.push_str("</strong>"),
            TagEnd::Strikethrough => self.out.push_str("</del>"),
            TagEnd::Superscript => self.out.push_str("</sup>"),
            TagEnd::Subscript => self.out.push_str("</sub>"),
            TagEnd::Link => {
                self.link_stack.pop();
                self.out.push_str("</a>");
            }
            TagEnd::Image => {
                if let Some((src, alt)) = self.image.take() {
                    let _ = write!(
                        self.out,
                        "<img src=\"{}\" alt=\"{}\">",
                        escape_attr(&src),
                        escape_attr(&alt)
                    );
                }
            }
            TagEnd::MetadataBlock(_)
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => {}
        }
    }

    /// `|#` marks a header cell: in the heading row any cell, in the body the first column.
    fn table_cell(&mut self, inner: String) {
        let index = self.cell_index;
        self.cell_index += 1;
        let class = match self.table_alignments.get(index) {
            Some(Alignment::Left) => " class=\"cell-text-left\"",
            Some(Alignment::Center) => " class=\"cell-text-center\"",
            Some(Alignment::Right) => " class=\"cell-text-right\"",
            _ => "",
        };
        let trimmed = inner.trim();
        if self.in_table_head {
            let text = trimmed.strip_prefix('#').map_or(trimmed, str::trim_start);
            if text.is_empty() {
                let _ = writeln!(self.out, "<td{class}></td>");
            } else {
                let _ = writeln!(self.out, "<th scope=\"col\"{class}>{text}</th>");
            }
        } else if index == 0
            && let Some(text) = trimmed.strip_prefix('#')
        {
            let _ = writeln!(
                self.out,
                "<th scope=\"row\"{class}>{}</th>",
                text.trim_start()
            );
        } else {
            let _ = writeln!(self.out, "<td{class}>{trimmed}</td>");
        }
    }

    fn footnote_reference(&mut self, label: &str) {
        if !self.footnote_order.iter().any(|l| l == label) {
            self.footnote_order.push(label.to_owned());
        }
        let number = self
            .footnote_order
            .iter()
            .position(|l| l == label)
            .map_or(1, |p| p + 1);
        let count = self.footnote_refs.entry(label.to_owned()).or_insert(0);
        let id = if *count == 0 {
            format!("fnref:{label}")
        } else {
            format!("fnref:{label}:{count}")
        };
        *count += 1;
        let label = escape_attr(label);
        let _ = write!(
            self.out,
            "<sup id=\"{}\"><a href=\"#fn:{label}\" class=\"footnote\" rel=\"footnote\" role=\"doc-noteref\">[footnote {number}]</a></sup>",
            escape_attr(&id)
        );
    }

    fn finish(mut self) -> String {
        if self.footnote_order.is_empty() {
            return self.out;
        }
        self.out
            .push_str("<div class=\"footnotes\" role=\"doc-endnotes\">\n<ol>\n");
        for label in std::mem::take(&mut self.footnote_order) {
            let mut body = self.footnote_defs.remove(&label).unwrap_or_default();
            let refs = self.footnote_refs.get(&label).copied().unwrap_or(1);
            let mut backlinks = String::new();
            for n in 0..refs {
                let (target, aria, mark) = if n == 0 {
                    (
                        format!("fnref:{label}"),
                        "go to where this is referenced".to_owned(),
                        "↩".to_owned(),
                    )
                } else {
                    (
                        format!("fnref:{label}:{n}"),
                        format!("go to where this is referenced {}", n + 1),
                        format!("↩<sup>{}</sup>", n + 1),
                    )
                };
                let _ = write!(
                    backlinks,
                    " <a href=\"#{}\" class=\"reversefootnote\" role=\"doc-backlink\" aria-label=\"{aria}\">{mark}</a>",
                    escape_attr(&target)
                );
            }
            let trimmed = body.trim_end().to_owned();
            if let Some(stripped) = trimmed.strip_suffix("</p>") {
                body = format!("{stripped}{backlinks}</p>");
            } else {
                body = format!("{trimmed}<p>{}</p>", backlinks.trim_start());
            }
            let _ = writeln!(
                self.out,
                "<li id=\"fn:{}\">\n{body}\n</li>",
                escape_attr(&label)
            );
        }
        self.out.push_str("</ol>\n</div>\n");
        self.out
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Govspeak marks every link off `www.gov.uk` as external (mail links are not).
fn is_external(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    host != "www.gov.uk"
}

/// A document's acronyms by their first word (up to the first byte that is not a word byte),
/// longest first, and the bytes they start with: only those bytes are worth a lookup (a byte
/// inside a character never starts one). A term that matches at a word boundary has the
/// same first word as the text there, so a glossary of thousands is not tried term by term.
struct Abbreviations {
    by_first_word: HashMap<String, Vec<(String, String)>>,
    starts: [bool; 256],
}

impl Abbreviations {
    fn new(terms: Vec<(String, String)>) -> Abbreviations {
        let mut starts = [false; 256];
        let mut by_first_word: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (abbr, title) in terms {
            starts[usize::from(abbr.as_bytes()[0])] = true;
            let key = abbr[..first_word_len(&abbr)].to_owned();
            by_first_word.entry(key).or_default().push((abbr, title));
        }
        Abbreviations {
            by_first_word,
            starts,
        }
    }
}

/// The length of the run of word bytes `text` starts with.
fn first_word_len(text: &str) -> usize {
    text.bytes().take_while(|&b| is_word_byte(b)).count()
}

/// Escapes text into `out`, wrapping defined acronyms in `<abbr>` where they stand as
/// whole words.
fn with_abbreviations_into(out: &mut String, text: &str, abbreviations: &Abbreviations) {
    let Abbreviations {
        by_first_word,
        starts,
    } = abbreviations;
    if by_first_word.is_empty() {
        return escape_text_into(out, text);
    }
    let bytes = text.as_bytes();
    // Text up to `copied` is in `out`; an acronym can start only at a word boundary.
    let (mut copied, mut i) = (0, 0);
    while i < text.len() {
        let found = (starts[usize::from(bytes[i])] && (i == 0 || !is_word_byte(bytes[i - 1])))
            .then(|| {
                let rest = &text[i..];
                by_first_word
                    .get(&rest[..first_word_len(rest)])?
                    .iter()
                    .find(|(abbr, _)| {
                        let end = i + abbr.len();
                        rest.starts_with(abbr.as_str())
                            && (end == text.len() || !is_word_byte(bytes[end]))
                    })
            })
            .flatten();
        if let Some((abbr, title)) = found {
            escape_text_into(out, &text[copied..i]);
            let _ = write!(
                out,
                "<abbr title=\"{}\">{}</abbr>",
                escape_attr(title),
                escape_text(abbr)
            );
            i += abbr.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    escape_text_into(out, &text[copied..]);
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Escapes `&`, `<` and `>`, copying the runs between them whole.
fn escape_text_into(out: &mut String, text: &str) {
    let mut copied = 0;
    for i in memchr::memchr3_iter(b'&', b'<', b'>', text.as_bytes()) {
        out.push_str(&text[copied..i]);
        out.push_str(match text.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
}

pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_text_into(&mut out, text);
    out
}

pub fn escape_attr(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

/// Cleans raw HTML as Govspeak's sanitiser does: Sanitize's relaxed set without styles,
/// scripts or forms; `text-align` on a table cell survives as a class.
fn sanitise(html: &str) -> String {
    let html = text_align_to_class(html);
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([
            "figure",
            "figcaption",
            "section",
            "abbr",
            "del",
            "ins",
            "sup",
            "sub",
            "caption",
            "details",
            "summary",
        ])
        .add_generic_attributes(["class", "id", "role", "aria-label", "title", "lang", "dir"])
        .add_tag_attributes("a", ["rel", "data-module", "draggable"])
        .add_tag_attributes("th", ["scope", "colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("ol", ["start"])
        .link_rel(None);
    builder.clean(&html).to_string()
}

/// `<td style="text-align: center; width: 10px">` -> `<td class="cell-text-center">`.
fn text_align_to_class(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let lower = tag.to_ascii_lowercase();
        if (lower.starts_with("<td") || lower.starts_with("<th"))
            && let Some(style_at) = lower.find("style=\"")
        {
            let value_start = style_at + 7;
            let value_end = lower[value_start..]
                .find('"')
                .map_or(lower.len(), |e| value_start + e);
            let style = lower[value_start..value_end].replace(' ', "");
            let align = style
                .split(';')
                .find_map(|d| d.strip_prefix("text-align:"))
                .filter(|a| ["left", "center", "right"].contains(a));
            let replacement = align
                .map(|a| format!("class=\"cell-text-{a}\""))
                .unwrap_or_default();
            out.push_str(&tag[..style_at]);
            out.push_str(&replacement);
            out.push_str(&tag[(value_end + 1).min(tag.len())..]);
        } else {
            out.push_str(tag);
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_one_pass_with_their_paragraph() {
        let rendered: Vec<String> = (0..12).map(|n| format!("<div>{n}</div>")).collect();
        let html = "<p>GOVSPEAKPLACEHOLDER1X</p>\n<p>a GOVSPEAKPLACEHOLDER11X b</p>\n\
                    <p>GOVSPEAKPLACEHOLDER12X GOVSPEAKPLACEHOLDERX</p>";
        assert_eq!(
            fill_placeholders(html, PLACEHOLDER, &rendered, true),
            "<div>1</div>\n<p>a <div>11</div> b</p>\n<p>GOVSPEAKPLACEHOLDER12X GOVSPEAKPLACEHOLDERX</p>"
        );
        assert_eq!(
            fill_placeholders(
                "<p>GOVSPEAKINLINE0X</p>",
                INLINE_PLACEHOLDER,
                &rendered,
                false
            ),
            "<p><div>0</div></p>"
        );
    }

    #[test]
    fn acronyms_are_found_by_their_first_word() {
        let abbreviations = Abbreviations::new(vec![
            ("PHE England".into(), "a region".into()),
            ("A&E".into(), "accident and emergency".into()),
            ("PHE".into(), "Public Health England".into()),
            ("£M".into(), "millions".into()),
        ]);
        let mut out = String::new();
        with_abbreviations_into(
            &mut out,
            "PHE England, PHE, PHEW, A&E and £M.",
            &abbreviations,
        );
        assert_eq!(
            out,
            "<abbr title=\"a region\">PHE England</abbr>, <abbr title=\"Public Health England\">PHE</abbr>, \
             PHEW, <abbr title=\"accident and emergency\">A&amp;E</abbr> and <abbr title=\"millions\">£M</abbr>."
        );
    }
}
