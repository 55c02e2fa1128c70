//! Links out of a legacy page: anchors, image maps, frames, embedded objects, the canonical
//! link, `<meta http-equiv="refresh">` redirects, and the GET forms whose choices lead to
//! query-string pages (an observatory's "choose an indicator and an area"), all resolved
//! against `<base href>`.

use std::convert::Infallible;

use html5gum::{Emitter, Error, State, Tokenizer};
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
    /// A URL a GET form's choices make.
    Form,
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
            LinkTag::Form => "form",
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
    /// GET forms a reader completes by choosing (select lists, radio buttons), not typing.
    pub forms: Vec<Form>,
}

/// A GET form made of choices: what a browser sends to `action` when it is submitted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Form {
    /// Absolute, without query or fragment (a GET form's data replaces the query).
    pub action: Url,
    /// In document order, as a browser sends them.
    pub fields: Vec<FormField>,
}

/// One name a form sends: a fixed value (hidden, checked, pre-filled), or a choice among
/// `values` (a select list's options, radio buttons), `values[0]` the one chosen at first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FormField {
    pub name: String,
    pub values: Vec<String>,
    pub choice: bool,
    /// A radio group with no button checked: a browser sends nothing for it until one is.
    pub unset_at_first: bool,
}

/// The URLs a form's choices make, at most `limit`: every combination of the choices
/// whose name `significant` accepts (the parameters that make a different page), the other
/// fields at the value the form starts with. Insignificant choices are not varied: GOV.UK
/// would send every such URL to one place, so fetching each would only cost the site.
pub fn form_urls(form: &Form, significant: impl Fn(&str) -> bool, limit: usize) -> Vec<Url> {
    let fields: Vec<(&str, &[String])> = form
        .fields
        .iter()
        .filter(|f| !f.values.is_empty())
        .filter(|f| !f.unset_at_first || f.choice && significant(&f.name))
        .map(|f| {
            let varied = f.choice && significant(&f.name);
            let values = if varied {
                &f.values[..]
            } else {
                &f.values[..1]
            };
            (f.name.as_str(), values)
        })
        .collect();
    let mut urls = Vec::new();
    // An odometer over the fields' values: the last field turns fastest.
    let mut at = vec![0usize; fields.len()];
    while urls.len() < limit {
        let mut url = form.action.clone();
        url.query_pairs_mut().extend_pairs(
            fields
                .iter()
                .zip(&at)
                .map(|((name, values), i)| (name, &values[*i])),
        );
        urls.push(url);
        let Some(turning) = (0..fields.len())
            .rev()
            .find(|&f| at[f] + 1 < fields[f].1.len())
        else {
            break;
        };
        at[turning] += 1;
        at[turning + 1..].fill(0);
    }
    urls
}

/// Parses `html` (the page at `page_url`) and collects its links.
///
/// Only a tokenizer runs (no tree is built): the crawler needs tags and anchor text, and
/// tokenizing is linear in the page, however deep its nesting.
pub fn extract(html: &str, page_url: &Url) -> PageLinks {
    let found = tokenize(html);

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
    for raw in found.forms {
        let choices = raw.fields.iter().any(|f| f.choice && !f.values.is_empty());
        if !raw.get || raw.typed_text || !choices {
            continue;
        }
        // An empty action submits to the page itself; any other is read against the base.
        let action = match raw.action.as_deref().map(str::trim) {
            None | Some("") => Some(page_url.clone()),
            Some(href) => base.join(href).ok(),
        };
        let Some(mut action) = action.filter(|u| matches!(u.scheme(), "http" | "https")) else {
            continue;
        };
        action.set_query(None);
        action.set_fragment(None);
        let mut fields = raw.fields;
        // The value chosen at first goes first; of several marked, a browser takes the last.
        let mut chosen = std::collections::BTreeMap::new();
        chosen.extend(raw.chosen);
        for &field in &raw.radios {
            fields[field].unset_at_first = !chosen.contains_key(&field);
        }
        for (field, index) in chosen {
            let values = &mut fields[field].values;
            if index < values.len() {
                let value = values.remove(index);
                values.insert(0, value);
            }
        }
        page.forms.push(Form { action, fields });
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
        LinkTag::Form => 6,
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
    forms: Vec<RawForm>,
    /// The open `<form>` (forms do not nest: a browser ignores an inner one).
    open_form: Option<usize>,
    /// The open `<select>`: its field's index in the open form.
    open_select: Option<usize>,
    /// An `<option>` without a value attribute, whose text is its value.
    open_option: Option<String>,
}

/// A form as the tokenizer saw it.
struct RawForm {
    action: Option<String>,
    get: bool,
    fields: Vec<FormField>,
    /// A field asks for typed text: no list of URLs can stand for it.
    typed_text: bool,
    /// The field index of each choice's chosen value, where one is marked.
    chosen: Vec<(usize, usize)>,
    /// The fields that are radio groups.
    radios: Vec<usize>,
}

/// The start tags whose attributes matter, named as the tokenizer lowercases them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Element {
    A,
    Area,
    Base,
    Embed,
    Form,
    Frame,
    Iframe,
    Input,
    Select,
    SelectOption,
    Img,
    Link,
    Meta,
    Object,
    Param,
    Title,
    /// An element whose text is escapable raw text (`<textarea>`).
    Rcdata,
    Script,
    /// An element whose text is raw text. (`<noframes>` is parsed as markup: old framesets
    /// put their fallback links there; so is `<noscript>`, for the menus it spells out.)
    Rawtext,
}

impl Element {
    fn from_name(name: &[u8]) -> Option<Element> {
        Some(match name {
            b"a" => Element::A,
            b"area" => Element::Area,
            b"base" => Element::Base,
            b"embed" => Element::Embed,
            b"form" => Element::Form,
            b"input" => Element::Input,
            b"select" => Element::Select,
            b"option" => Element::SelectOption,
            b"frame" => Element::Frame,
            b"iframe" => Element::Iframe,
            b"img" => Element::Img,
            b"link" => Element::Link,
            b"meta" => Element::Meta,
            b"object" => Element::Object,
            b"param" => Element::Param,
            b"title" => Element::Title,
            b"textarea" => Element::Rcdata,
            b"script" => Element::Script,
            b"style" | b"xmp" | b"noembed" => Element::Rawtext,
            _ => return None,
        })
    }

    /// The tokenizer state the element's content is read in, when not markup.
    fn content_state(self) -> Option<State> {
        match self {
            Element::Title | Element::Rcdata => Some(State::RcData),
            Element::Script => Some(State::ScriptData),
            Element::Iframe | Element::Rawtext => Some(State::RawText),
            _ => None,
        }
    }
}

/// The attributes links are made of.
#[derive(Clone, Copy)]
enum Attribute {
    Href,
    Rel,
    Alt,
    Src,
    Title,
    Data,
    Name,
    Value,
    HttpEquiv,
    Content,
    Action,
    Method,
    Type,
    Selected,
    Checked,
    Disabled,
}

impl Attribute {
    fn from_name(name: &[u8]) -> Option<Attribute> {
        Some(match name {
            b"href" => Attribute::Href,
            b"rel" => Attribute::Rel,
            b"alt" => Attribute::Alt,
            b"src" => Attribute::Src,
            b"title" => Attribute::Title,
            b"data" => Attribute::Data,
            b"name" => Attribute::Name,
            b"value" => Attribute::Value,
            b"http-equiv" => Attribute::HttpEquiv,
            b"content" => Attribute::Content,
            b"action" => Attribute::Action,
            b"method" => Attribute::Method,
            b"type" => Attribute::Type,
            b"selected" => Attribute::Selected,
            b"checked" => Attribute::Checked,
            b"disabled" => Attribute::Disabled,
            _ => return None,
        })
    }
}

/// The first value of each [`Attribute`] on a start tag, as in a browser.
type Values = [Option<String>; 16];

fn get(values: &Values, attribute: Attribute) -> Option<&str> {
    values[attribute as usize].as_deref()
}

/// Runs the tokenizer over `html`, collecting links, title and base.
fn tokenize(html: &str) -> Found {
    let mut found = Found::default();
    let emitter = LinkEmitter {
        found: &mut found,
        tag_is_end: false,
        tag_name: Vec::new(),
        last_start_tag: Vec::new(),
        element: None,
        values: Values::default(),
        attribute_name: Vec::new(),
        attribute_value: Vec::new(),
        in_attribute: false,
        text: Vec::new(),
    };
    let Ok(()) = Tokenizer::new_with_emitter(html, emitter).finish();
    finish_anchor(&mut found);
    found
}

/// Receives the tokenizer's events and keeps only what links are made of: the tags of
/// [`Element`], their [`Attribute`]s, and the text of the title and of the open anchor.
/// Parse errors are not collected, which spares the tokenizer checking every character.
struct LinkEmitter<'f> {
    found: &'f mut Found,
    tag_is_end: bool,
    tag_name: Vec<u8>,
    /// The name of the last start tag, which the end of raw text must match.
    last_start_tag: Vec<u8>,
    /// The current start tag's element once its name is complete: `None` until then,
    /// `Some(None)` when the element does not matter.
    element: Option<Option<Element>>,
    values: Values,
    attribute_name: Vec<u8>,
    attribute_value: Vec<u8>,
    in_attribute: bool,
    /// Text for the title or the open anchor, as bytes: a character may come in pieces.
    text: Vec<u8>,
}

impl LinkEmitter<'_> {
    fn element(&mut self) -> Option<Element> {
        if self.tag_is_end {
            return None;
        }
        *self
            .element
            .get_or_insert_with(|| Element::from_name(&self.tag_name))
    }

    /// Puts the attribute just read on the tag, if it counts.
    fn finish_attribute(&mut self) {
        if !std::mem::take(&mut self.in_attribute) || self.element().is_none() {
            return;
        }
        if let Some(attribute) = Attribute::from_name(&self.attribute_name) {
            let slot = &mut self.values[attribute as usize];
            if slot.is_none() {
                *slot = Some(String::from_utf8_lossy(&self.attribute_value).into_owned());
            }
        }
    }

    /// Hands the text read since the last tag to the title or the open anchor.
    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.text);
        let f = &mut *self.found;
        if let Some(option) = f.open_option.as_mut() {
            option.push_str(&text);
        } else if f.in_title {
            if let Some(title) = f.title.as_mut() {
                title.push_str(&text);
            }
        } else if let Some((index, _)) = f.open_anchor {
            f.links[index].anchor.push_str(&text);
        }
        self.text.clear();
    }

    fn init_tag(&mut self, is_end: bool) {
        self.flush_text();
        self.tag_is_end = is_end;
        self.tag_name.clear();
        self.element = None;
        self.in_attribute = false;
    }
}

impl Emitter for LinkEmitter<'_> {
    type Token = Infallible;

    fn set_last_start_tag(&mut self, last_start_tag: Option<&[u8]>) {
        self.last_start_tag.clear();
        self.last_start_tag
            .extend_from_slice(last_start_tag.unwrap_or_default());
    }

    fn emit_eof(&mut self) {
        self.flush_text();
    }

    fn emit_error(&mut self, _: Error) {}

    #[inline]
    fn should_emit_errors(&mut self) -> bool {
        false
    }

    fn pop_token(&mut self) -> Option<Infallible> {
        None
    }

    fn emit_string(&mut self, text: &[u8]) {
        if self.found.in_title
            || self.found.open_anchor.is_some()
            || self.found.open_option.is_some()
        {
            self.text.extend_from_slice(text);
        }
    }

    fn init_start_tag(&mut self) {
        self.init_tag(false);
    }

    fn init_end_tag(&mut self) {
        self.init_tag(true);
    }

    fn init_comment(&mut self) {}

    fn emit_current_tag(&mut self) -> Option<State> {
        self.finish_attribute();
        if self.tag_is_end {
            self.last_start_tag.clear();
            match &self.tag_name[..] {
                b"a" => finish_anchor(self.found),
                b"title" => self.found.in_title = false,
                b"option" => finish_option(self.found),
                b"select" => finish_select(self.found),
                b"form" => {
                    finish_select(self.found);
                    self.found.open_form = None;
                }
                _ => {}
            }
            return None;
        }
        let element = self.element();
        std::mem::swap(&mut self.last_start_tag, &mut self.tag_name);
        let element = element?;
        let values = std::mem::take(&mut self.values);
        start_tag(self.found, element, &values);
        // The tree builder's part that a tokenizer cannot play: reading an element's
        // content as text when the element says so.
        element.content_state()
    }

    fn emit_current_comment(&mut self) {}

    fn emit_current_doctype(&mut self) {}

    fn set_self_closing(&mut self) {}

    fn set_force_quirks(&mut self) {}

    fn push_tag_name(&mut self, name: &[u8]) {
        self.tag_name.extend_from_slice(name);
    }

    fn push_comment(&mut self, _: &[u8]) {}

    fn push_doctype_name(&mut self, _: &[u8]) {}

    fn init_doctype(&mut self) {}

    fn init_attribute(&mut self) {
        self.finish_attribute();
        self.in_attribute = true;
        self.attribute_name.clear();
        self.attribute_value.clear();
    }

    fn push_attribute_name(&mut self, name: &[u8]) {
        self.attribute_name.extend_from_slice(name);
    }

    fn push_attribute_value(&mut self, value: &[u8]) {
        if self.element().is_some() {
            self.attribute_value.extend_from_slice(value);
        }
    }

    fn set_doctype_public_identifier(&mut self, _: &[u8]) {}

    fn set_doctype_system_identifier(&mut self, _: &[u8]) {}

    fn push_doctype_public_identifier(&mut self, _: &[u8]) {}

    fn push_doctype_system_identifier(&mut self, _: &[u8]) {}

    fn current_is_appropriate_end_tag_token(&mut self) -> bool {
        self.tag_is_end && !self.last_start_tag.is_empty() && self.tag_name == self.last_start_tag
    }
}

/// Records what a start tag contributes.
fn start_tag(f: &mut Found, element: Element, values: &Values) {
    use Attribute::*;
    let attr = |attribute| get(values, attribute);
    let owned = |attribute| attr(attribute).unwrap_or("").to_owned();
    let push = |f: &mut Found, href: &str, anchor: String, kind: LinkTag, delay: u32| {
        f.links.push(RawLink {
            href: href.to_owned(),
            anchor,
            rel: attr(Rel).unwrap_or("").trim().to_ascii_lowercase(),
            tag: kind,
            delay,
        });
    };
    match element {
        Element::Base if f.base.is_none() => f.base = attr(Href).map(str::to_owned),
        Element::Title if f.title.is_none() => {
            f.title = Some(String::new());
            f.in_title = true;
        }
        Element::A => {
            finish_anchor(f);
            if let Some(href) = attr(Href) {
                let index = f.links.len();
                push(f, href, String::new(), LinkTag::A, 0);
                f.open_anchor = Some((index, String::new()));
            }
        }
        Element::Area => {
            if let Some(href) = attr(Href) {
                push(f, href, owned(Alt), LinkTag::Area, 0);
            }
        }
        Element::Img => {
            if let (Some((_, alt)), Some(text)) = (f.open_anchor.as_mut(), attr(Alt))
                && alt.is_empty()
            {
                *alt = text.to_owned();
            }
        }
        Element::Frame | Element::Iframe => {
            if let Some(src) = attr(Src) {
                let kind = if element == Element::Iframe {
                    LinkTag::Iframe
                } else {
                    LinkTag::Frame
                };
                push(f, src, owned(Title), kind, 0);
            }
        }
        Element::Embed => {
            if let Some(src) = attr(Src) {
                push(f, src, String::new(), LinkTag::Embed, 0);
            }
        }
        Element::Object => {
            if let Some(data) = attr(Data) {
                push(f, data, String::new(), LinkTag::Object, 0);
            }
        }
        Element::Param => {
            let named = attr(Name)
                .is_some_and(|n| n.eq_ignore_ascii_case("movie") || n.eq_ignore_ascii_case("src"));
            if let (true, Some(value)) = (named, attr(Value)) {
                push(f, value, String::new(), LinkTag::Object, 0);
            }
        }
        Element::Link => {
            let is_canonical = attr(Rel).is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
            });
            if let (true, false, Some(href)) = (is_canonical, f.seen_canonical, attr(Href)) {
                f.seen_canonical = true;
                push(f, href, String::new(), LinkTag::Canonical, 0);
            }
        }
        Element::Form if f.open_form.is_none() => {
            f.open_form = Some(f.forms.len());
            f.forms.push(RawForm {
                action: attr(Action).map(str::to_owned),
                get: attr(Method).is_none_or(|m| m.trim().eq_ignore_ascii_case("get")),
                fields: Vec::new(),
                typed_text: false,
                chosen: Vec::new(),
                radios: Vec::new(),
            });
        }
        Element::Select => {
            finish_select(f);
            if let (Some(form), Some(name), None) = (f.open_form, attr(Name), attr(Disabled)) {
                let fields = &mut f.forms[form].fields;
                f.open_select = Some(fields.len());
                fields.push(FormField {
                    name: name.to_owned(),
                    values: Vec::new(),
                    choice: true,
                    unset_at_first: false,
                });
            }
        }
        Element::SelectOption => {
            finish_option(f);
            if let (Some(form), Some(field)) = (f.open_form, f.open_select) {
                let raw = &mut f.forms[form];
                if attr(Selected).is_some() {
                    raw.chosen.push((field, raw.fields[field].values.len()));
                }
                match attr(Value) {
                    Some(value) => raw.fields[field].values.push(value.to_owned()),
                    None => f.open_option = Some(String::new()),
                }
            }
        }
        Element::Input => {
            if let (Some(form), Some(name), None) = (f.open_form, attr(Name), attr(Disabled)) {
                form_input(
                    &mut f.forms[form],
                    name,
                    &attr(Type).unwrap_or("text").trim().to_ascii_lowercase(),
                    attr(Value),
                    attr(Checked).is_some(),
                );
            }
        }
        Element::Rcdata => {
            // A `<textarea>`: typed text.
            if let (Some(form), Some(_), None) = (f.open_form, attr(Name), attr(Disabled)) {
                f.forms[form].typed_text = true;
            }
        }
        Element::Meta => {
            let refresh = attr(HttpEquiv).is_some_and(|h| h.trim().eq_ignore_ascii_case("refresh"));
            if let (true, false, Some((delay, target))) = (
                refresh,
                f.seen_refresh,
                attr(Content).and_then(parse_refresh),
            ) {
                f.seen_refresh = true;
                push(f, &target, String::new(), LinkTag::MetaRefresh, delay);
            }
        }
        _ => {}
    }
}

/// What an `<input>` adds to its form: a fixed value, a radio button's choice, or typed
/// text (a search box), which no list of URLs can stand for.
fn form_input(form: &mut RawForm, name: &str, kind: &str, value: Option<&str>, checked: bool) {
    let fixed = |form: &mut RawForm, value: &str| {
        form.fields.push(FormField {
            name: name.to_owned(),
            values: vec![value.to_owned()],
            choice: false,
            unset_at_first: false,
        });
    };
    match kind {
        "hidden" => fixed(form, value.unwrap_or("")),
        "checkbox" if checked => fixed(form, value.unwrap_or("on")),
        "radio" => {
            let index = match form.fields.iter().position(|f| f.choice && f.name == name) {
                Some(index) => index,
                None => {
                    form.fields.push(FormField {
                        name: name.to_owned(),
                        values: Vec::new(),
                        choice: true,
                        unset_at_first: false,
                    });
                    form.radios.push(form.fields.len() - 1);
                    form.fields.len() - 1
                }
            };
            if checked {
                form.chosen.push((index, form.fields[index].values.len()));
            }
            form.fields[index]
                .values
                .push(value.unwrap_or("on").to_owned());
        }
        "checkbox" | "submit" | "image" | "button" | "reset" | "file" => {}
        _ => match value.filter(|v| !v.is_empty()) {
            Some(value) => fixed(form, value),
            None => form.typed_text = true,
        },
    }
}

/// Closes an `<option>` that had no value attribute: its text, whitespace collapsed, is
/// its value.
fn finish_option(f: &mut Found) {
    if let Some(text) = f.open_option.take()
        && let (Some(form), Some(field)) = (f.open_form, f.open_select)
    {
        f.forms[form].fields[field]
            .values
            .push(collapse_whitespace(&text));
    }
}

fn finish_select(f: &mut Found) {
    finish_option(f);
    f.open_select = None;
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
    /// UTF-8: whole characters are copied and whitespace becomes `b' '`. A space is written
    /// as soon as a run of whitespace starts and taken back at the end if no word follows.
    text: Vec<u8>,
    /// The text is empty or ends with the space of a run of whitespace: more whitespace
    /// adds nothing.
    after_space: bool,
}

impl Collapsed {
    pub fn with_capacity(capacity: usize) -> Collapsed {
        Collapsed {
            text: Vec::with_capacity(capacity),
            after_space: true,
        }
    }

    /// A word break, as whitespace would make.
    pub fn push_break(&mut self) {
        if !self.after_space {
            self.text.push(b' ');
            self.after_space = true;
        }
    }

    /// Adds text, each run of whitespace (as `char::is_whitespace` defines it) becoming one
    /// space. Most text is printable ASCII with single spaces, which [`plain_run`] finds
    /// eight bytes at a time and which is copied as it is; a loop that stopped at each
    /// word's end spent its time mispredicting. Other bytes are looked at one by one.
    pub fn push_str(&mut self, piece: &str) {
        let bytes = piece.as_bytes();
        let mut len = self.text.len();
        // Room for every byte: collapsing only shortens.
        self.text.resize(len + bytes.len(), 0);
        let out = &mut self.text[..];
        let mut after_space = self.after_space;
        let mut at = 0;
        while at < bytes.len() {
            // Eight bytes at a time: the run of printable ASCII and single spaces before the
            // first byte that needs a look of its own is copied whole.
            if let Some(chunk) = bytes.get(at..at + 8) {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
                let (run, ends_in_space) = plain_run(word, after_space);
                if run > 0 {
                    // Collapsing only shortens, so `len + 8 <= at + 8`: within the room.
                    out[len..len + 8].copy_from_slice(chunk);
                    len += run;
                    at += run;
                    after_space = ends_in_space;
                    continue;
                }
            }
            let byte = bytes[at];
            if byte < 0x80 {
                let space = matches!(byte, b'\t'..=b'\r' | b' ');
                out[len] = if space { b' ' } else { byte };
                len += usize::from(!(space && after_space));
                after_space = space;
                at += 1;
                continue;
            }
            // A character's first byte: `at` only ever steps over whole characters.
            let c = piece[at..].chars().next().unwrap_or_default();
            let width = c.len_utf8();
            if c.is_whitespace() {
                if !after_space {
                    out[len] = b' ';
                    len += 1;
                }
                after_space = true;
            } else {
                out[len..len + width].copy_from_slice(&bytes[at..at + width]);
                len += width;
                after_space = false;
            }
            at += width;
        }
        self.text.truncate(len);
        self.after_space = after_space;
    }

    /// Adds `piece` to this text and to `twin`: collapsed once and copied when both end
    /// alike (collapsing depends only on the piece and whether the text ends in a space).
    pub fn push_str_twice(&mut self, twin: &mut Collapsed, piece: &str) {
        if self.after_space != twin.after_space {
            self.push_str(piece);
            twin.push_str(piece);
            return;
        }
        let start = self.text.len();
        self.push_str(piece);
        twin.text.extend_from_slice(&self.text[start..]);
        twin.after_space = self.after_space;
    }

    pub fn finish(mut self) -> String {
        if self.after_space {
            self.text.pop_if(|b| *b == b' ');
        }
        // Whole characters and spaces only, so always UTF-8.
        String::from_utf8(self.text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// How many of eight bytes (little-endian in `word`) can be copied as they are before the
/// first that [`Collapsed::push_str`] must look at (whitespace other than a space, a
/// control, a byte of a non-ASCII character, or a space after whitespace), and whether the
/// last copied is a space. Each mask below marks bytes exactly (bit 7 of a byte), with no
/// carry from one byte into the next.
#[inline]
fn plain_run(word: u64, after_space: bool) -> (usize, bool) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Below 0x20 (its low seven bits plus 0x60 stay below 0x80) or above 0x7f.
    let unusual = (!((word & LOW7) + 0x6060_6060_6060_6060) | word) & HIGH;
    let xored = word ^ 0x2020_2020_2020_2020;
    let spaces = !(((xored & LOW7) + LOW7) | xored | LOW7);
    let space_before = (spaces << 8) | if after_space { 0x80 } else { 0 };
    let marked = unusual | (spaces & space_before);
    let run = (marked.trailing_zeros() / 8) as usize;
    let ends_in_space = run > 0 && (spaces >> (8 * run - 1)) & 1 == 1;
    (run, ends_in_space)
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
    fn get_forms_of_choices_are_read_as_a_browser_submits_them() {
        let page = Url::parse("http://obs.example/data/?x=1").unwrap();
        let html = r#"<base href="/base/">
            <form method="get" action="indicator.aspx?ignored=1#top">
              <input type="hidden" name="view" value="table">
              <select name="QN"><option value="IND_01">One<option value="IND_02" selected>Two</select>
              <select name="area"><option>  North
                East </option><option selected>Leeds</option></select>
              <input type="radio" name="sex" value="m"><input type="radio" name="sex" value="f" checked>
              <input type="radio" name="scale" value="log"><input type="radio" name="scale" value="linear">
              <input type="checkbox" name="ci" value="1" checked><input type="checkbox" name="raw">
              <select name="off" disabled><option value="x"></select>
              <input type="submit" name="go" value="Show">
            </form>
            <form action="/search.aspx"><input type="text" name="q"><select name="in"><option value="all"></select></form>
            <form method="post" action="/post.aspx"><select name="a"><option value="1"></select></form>
            <form action="/only-hidden"><input type="hidden" name="a" value="1"></form>
            <form><select name="year"><option>2012<option>2013</select><textarea name="note"></textarea></form>
            <form><select name="period"><option>2012<option>2013</select><input name="pre" value="filled"></form>"#;
        let forms = extract(html, &page).forms;
        let field = |name: &str, values: &[&str], choice: bool| FormField {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            choice,
            unset_at_first: false,
        };
        assert_eq!(
            forms,
            [
                Form {
                    action: Url::parse("http://obs.example/base/indicator.aspx").unwrap(),
                    fields: vec![
                        field("view", &["table"], false),
                        field("QN", &["IND_02", "IND_01"], true),
                        field("area", &["Leeds", "North East"], true),
                        field("sex", &["f", "m"], true),
                        FormField {
                            unset_at_first: true,
                            ..field("scale", &["log", "linear"], true)
                        },
                        field("ci", &["1"], false),
                    ],
                },
                Form {
                    action: Url::parse("http://obs.example/data/").unwrap(),
                    fields: vec![
                        field("period", &["2012", "2013"], true),
                        field("pre", &["filled"], false),
                    ],
                },
            ]
        );
        // Only the significant choices vary; the others keep the value chosen at first, and
        // a radio group with nothing checked is not sent.
        let urls: Vec<String> = form_urls(&forms[0], |n| n == "QN" || n == "sex", 100)
            .iter()
            .map(Url::to_string)
            .collect();
        let base = "http://obs.example/base/indicator.aspx?view=table";
        assert_eq!(
            urls,
            [
                format!("{base}&QN=IND_02&area=Leeds&sex=f&ci=1"),
                format!("{base}&QN=IND_02&area=Leeds&sex=m&ci=1"),
                format!("{base}&QN=IND_01&area=Leeds&sex=f&ci=1"),
                format!("{base}&QN=IND_01&area=Leeds&sex=m&ci=1"),
            ]
        );
        assert_eq!(form_urls(&forms[0], |_| true, 5).len(), 5);
        assert_eq!(form_urls(&forms[0], |_| true, 100).len(), 16);
        assert_eq!(form_urls(&forms[0], |_| false, 100).len(), 1);
    }

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
            "f g h",
            " i j  k ",
            "l\tm n",
            "o p",
            "q\u{a0}r s",
            "£5 per ‘week’ ",
            "\u{3000}t\u{85}u",
            "é ü  ö",
            "x\u{1}y\u{7f}",
            "\u{1680}z\u{2028}",
            "\u{200b}zero-width is not whitespace",
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
                // A break between pieces collapses as a space would.
                let mut broken = Collapsed::with_capacity(0);
                for p in &pieces[start..end] {
                    broken.push_break();
                    broken.push_str(p);
                    broken.push_break();
                }
                let spaced = pieces[start..end].join(" ");
                let want = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(broken.finish(), want, "{spaced:?}");
            }
        }
    }

    #[test]
    fn collapsing_long_mixed_text_equals_the_standard_librarys_split() {
        // Every piece from a fixed pseudo-random walk over letters, ASCII and non-ASCII
        // whitespace, controls and multi-byte characters, long enough for the eight-byte
        // runs and their edges.
        let alphabet = [
            "a",
            "Bc",
            "defghijkl",
            " ",
            "  ",
            "\t",
            "\r\n",
            "\u{a0}",
            "é",
            "£",
            "\u{1}",
            "\u{3000}",
            "\u{85}",
            "0123456789",
            "\u{7f}",
            "~!",
            "\u{2003}x",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let mut piece = String::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                piece.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let want = piece.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse_whitespace(&piece), want, "{piece:?}");
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
    fn text_that_only_looks_like_links_is_not_followed() {
        let html = "<HTML><TITLE>A &amp; B <a href=/in-title>x</a></TITLE>\
            <!-- <a href=\"/in-comment\">c</a> -->\
            <script>document.write('<a href=\"/in-script\">s</a>'); if (a<b) {}</script>\
            <style>a[href=\"/in-style\"] {}</style><textarea><a href=/in-textarea></textarea>\
            <xmp><a href=/in-xmp></xmp>\
            <noscript><a href=/menu.htm>Menu</a></noscript>\
            <noframes><a href=/frameless.htm>No frames</a></noframes>\
            <A HREF=Upper.htm Href=second.htm>Caf&eacute; &copy;\u{e9}t\u{e9}</A>\
            <a href=\"/q?a=1&amp;b=2&copy=3\">q</a><a href=\"/cut\" title=\"unfinished";
        let page = extract(html, &url("http://x.org/dir/"));
        assert_eq!(page.title.as_deref(), Some("A & B <a href=/in-title>x</a>"));
        let got: Vec<(String, String)> = page
            .links
            .iter()
            .map(|l| (l.url.to_string(), l.anchor.clone()))
            .collect();
        let want = [
            ("http://x.org/menu.htm", "Menu"),
            ("http://x.org/frameless.htm", "No frames"),
            ("http://x.org/dir/Upper.htm", "Café ©été"),
            ("http://x.org/q?a=1&b=2&copy=3", "q"),
        ]
        .map(|(u, a)| (u.to_owned(), a.to_owned()));
        assert_eq!(got, want);
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
