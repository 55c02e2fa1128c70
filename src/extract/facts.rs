//! What the audits need to know about a legacy page, read from its parsed DOM in the same
//! pass as the transform: text statistics (for Flesch reading ease and reading time),
//! data signals (tables of figures, data files, embedded tools and charts, query forms,
//! JavaScript applications) and accessibility problems. Pure: a document in, facts out.

use std::collections::{BTreeMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::extract::{AttributeByName, NodeSet};

/// Data file formats, with their openness on the five-star scale.
pub const DATA_FORMATS: &[(&str, u8)] = &[
    ("csv", 3),
    ("tsv", 3),
    ("ods", 3),
    ("json", 3),
    ("xml", 3),
    ("geojson", 3),
    ("kml", 3),
    ("xls", 2),
    ("xlsx", 2),
    ("xlsm", 2),
    ("sav", 2),
    ("dta", 2),
    ("zip", 2),
];

/// Documents that are not data.
pub const DOCUMENT_FORMATS: &[&str] = &["pdf", "doc", "docx", "odt", "rtf", "ppt", "pptx"];

/// Embedded tools and dashboards, by a fragment of the host or URL that loads them.
pub const TOOL_MARKERS: &[(&str, &str)] = &[
    ("public.tableau.com", "Tableau"),
    ("tableau", "Tableau"),
    ("app.powerbi.com", "Power BI"),
    ("shinyapps.io", "Shiny"),
    ("arcgis.com", "ArcGIS"),
    ("instantatlas", "InstantAtlas"),
    ("iatlas", "InstantAtlas"),
    ("datawrapper.dwcdn.net", "Datawrapper"),
    ("flo.uri.sh", "Flourish"),
];

/// Chart and map libraries, by a fragment of the script URL.
pub const CHART_MARKERS: &[(&str, &str)] = &[
    ("highcharts", "Highcharts"),
    ("d3.", "D3"),
    ("d3/", "D3"),
    ("chart.js", "Chart.js"),
    ("chart.min.js", "Chart.js"),
    ("gstatic.com/charts", "Google Charts"),
    ("plotly", "Plotly"),
    ("leaflet", "Leaflet"),
    ("openlayers", "OpenLayers"),
];

/// Link texts that say nothing out of context (WCAG 2.4.4).
pub const VAGUE_LINK_TEXT: &[&str] = &[
    "click here",
    "here",
    "more",
    "read more",
    "more info",
    "more information",
    "this link",
    "link",
    "this page",
    "download",
];

/// Words that mark statistical content.
const STATISTICAL_TERMS: &[&str] = &[
    "indicator",
    "prevalence",
    "per 100,000",
    "confidence interval",
    "numerator",
    "denominator",
    "statistically significant",
    "data source",
    "metadata",
    "download data",
];

/// The facts about one page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageFacts {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    pub longest_sentence: usize,
    pub h1: Option<String>,
    /// Heading levels in order (1 to 6), main content only.
    pub headings: Vec<u8>,
    pub data_tables: usize,
    pub numeric_cells: usize,
    /// The most numeric cells in one table.
    pub largest_table_cells: usize,
    /// Data tables with no header cell.
    pub tables_without_headers: usize,
    /// Data-file and document links by extension.
    pub files: BTreeMap<String, usize>,
    /// Distinct embedded tools (Tableau, Power BI, ...).
    pub tools: Vec<String>,
    /// Distinct chart and map libraries.
    pub charts: Vec<String>,
    pub flash: bool,
    /// `<form method=get>` holding a `<select>`: a query page.
    pub get_forms: usize,
    /// ASP.NET postbacks, `<noscript>` warnings, or little text under a lot of script.
    pub js_app: bool,
    pub fingertips_links: usize,
    pub statistical_terms: usize,
    pub images: usize,
    pub images_without_alt: usize,
    pub vague_links: Vec<String>,
    pub links: usize,
    /// The newest year written in the text, from 1990 to the year the page was fetched
    /// (a later one is a target or a number, not the text's age).
    pub newest_year: Option<u16>,
    /// A digest of the main text, words only and lower-cased: equal texts, equal digests.
    pub text_digest: String,
    /// The same of the words that hold no digit: versions of one text that differ only in
    /// their dates and figures share it.
    pub wording_digest: String,
    /// MinHash of the text's five-word shingles, for near-duplicates.
    pub minhash: Vec<u32>,
}

impl PageFacts {
    /// Flesch reading ease: 206.835 − 1.015 × words per sentence − 84.6 × syllables per word.
    pub fn flesch(&self) -> Option<f64> {
        (self.words > 0 && self.sentences > 0).then(|| {
            206.835
                - 1.015 * (self.words as f64 / self.sentences as f64)
                - 84.6 * (self.syllables as f64 / self.words as f64)
        })
    }

    /// GOV.UK's reading time: a minute per 200 words, rounded up.
    pub fn reading_minutes(&self) -> usize {
        self.words.div_ceil(200)
    }

    /// Heading levels that skip one (an h2 followed by an h4), as `h2→h4`.
    pub fn skipped_headings(&self) -> Vec<String> {
        self.headings
            .windows(2)
            .filter(|w| w[1] > w[0] + 1)
            .map(|w| format!("h{}→h{}", w[0], w[1]))
            .collect()
    }

    pub fn data_files(&self) -> usize {
        self.files
            .iter()
            .filter(|(ext, _)| DATA_FORMATS.iter().any(|(f, _)| f == ext))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Vowel groups, less a silent final e: the usual estimate for English.
pub fn syllables(word: &str) -> usize {
    word_syllables(word).unwrap_or(0)
}

/// Counts syllables as a word's lower-case letters arrive.
#[derive(Default)]
struct Syllables {
    groups: usize,
    letters: usize,
    previous_vowel: bool,
    last_two: [char; 2],
}

impl Syllables {
    fn push(&mut self, c: char) {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if vowel && !self.previous_vowel {
            self.groups += 1;
        }
        self.previous_vowel = vowel;
        self.letters += 1;
        self.last_two = [self.last_two[1], c];
    }

    /// [`push`](Self::push) for each of a run of ASCII letters, in one tight loop.
    fn push_ascii_letters(&mut self, run: &[u8]) {
        // Bit n is set when the nth letter of the alphabet is a vowel: a, e, i, o, u, y.
        const VOWELS: u32 = 1 | 1 << 4 | 1 << 8 | 1 << 14 | 1 << 20 | 1 << 24;
        let mut previous_vowel = self.previous_vowel;
        for &b in run {
            let vowel = VOWELS >> ((b | 0x20) - b'a') & 1 == 1;
            self.groups += usize::from(vowel && !previous_vowel);
            previous_vowel = vowel;
        }
        self.previous_vowel = previous_vowel;
        self.letters += run.len();
        let lower = |b: u8| char::from(b.to_ascii_lowercase());
        match run {
            [.., x, y] => self.last_two = [lower(*x), lower(*y)],
            [y] => self.last_two = [self.last_two[1], lower(*y)],
            [] => {}
        }
    }

    fn count(&self) -> usize {
        if self.letters == 0 {
            return 0;
        }
        // A final e is silent, unless after an l ("table").
        let silent_e = self.letters > 2
            && self.last_two[1] == 'e'
            && self.last_two[0] != 'l'
            && self.groups > 1;
        (self.groups - usize::from(silent_e)).max(1)
    }
}

/// A token's syllables, or `None` when it holds no letter or digit (it is not a word):
/// one pass over it does both.
fn word_syllables(token: &str) -> Option<usize> {
    let mut counter = Syllables::default();
    let mut alphanumeric = false;
    if token.is_ascii() {
        // Nearly every word: read a byte at a time, without allocating.
        for b in token.bytes() {
            if b.is_ascii_alphabetic() {
                alphanumeric = true;
                counter.push(b.to_ascii_lowercase() as char);
            } else if b.is_ascii_digit() {
                alphanumeric = true;
            }
        }
    } else {
        for c in token.chars() {
            if c.is_alphabetic() {
                alphanumeric = true;
                c.to_lowercase().for_each(|l| counter.push(l));
            } else if c.is_alphanumeric() {
                alphanumeric = true;
            }
        }
    }
    alphanumeric.then(|| counter.count())
}

/// Counts words, sentences and syllables in text.
pub fn text_stats(text: &str) -> (usize, usize, usize, usize) {
    let (mut words, mut sentences, mut syllable_count, mut longest, mut current) = (0, 0, 0, 0, 0);
    for token in text.split_whitespace() {
        let Some(token_syllables) = word_syllables(token) else {
            continue;
        };
        words += 1;
        current += 1;
        syllable_count += token_syllables;
        if token.ends_with(['.', '!', '?']) {
            sentences += 1;
            longest = longest.max(current);
            current = 0;
        }
    }
    if current > 0 {
        sentences += 1;
        longest = longest.max(current);
    }
    (words, sentences, syllable_count, longest)
}

/// A cell that holds a figure: a number, a percentage, a rate, money or an interval.
pub fn is_numeric(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.len() > 40 {
        return false;
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let allowed = t
        .chars()
        .all(|c| c.is_ascii_digit() || " .,%£$-–()*+<>~".contains(c));
    digits > 0 && allowed
}

fn text_of(e: ElementRef<'_>) -> String {
    let mut text = String::new();
    text_into(e, &mut text);
    text
}

/// An element's text nodes, one space apart, into a reused buffer.
fn text_into(e: ElementRef<'_>, out: &mut String) {
    out.clear();
    for (i, piece) in e.text().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(piece);
    }
}

fn extension(href: &str) -> Option<String> {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    (ext.len() <= 7 && ext.chars().all(|c| c.is_ascii_alphanumeric())).then_some(ext)
}

/// Hash functions in a MinHash signature.
pub const MINHASH_SIZE: usize = 64;

/// A word's hash: XXH3, the same on every machine and a few nanoseconds for a word, where a
/// byte-at-a-time hash waits on a multiplication per byte.
fn word_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// The SplitMix64 finaliser: spreads every input bit over the output.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// MinHash of five-word shingles (empty for texts under five words), by one-permutation
/// hashing: each shingle is hashed once, the hash's top bits choose one of the 64 slots and
/// the slot keeps the least value it is given (64 hash functions would cost 64 times as
/// much). A slot no shingle fell in borrows from the next filled one, shifted by how far it
/// looked ("densification by rotation", Shrivastava and Li 2014), so short texts still
/// compare well.
pub fn minhash<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<u32> {
    let hashes: Vec<u64> = words.into_iter().map(|w| word_hash(w.as_bytes())).collect();
    minhash_of_hashes(&hashes)
}

/// [`minhash`] of words already hashed with [`word_hash`].
fn minhash_of_hashes(hashes: &[u64]) -> Vec<u32> {
    if hashes.len() < 5 {
        return Vec::new();
    }
    const EMPTY: u64 = u64::MAX;
    let mut slots = [EMPTY; MINHASH_SIZE];
    for shingle in hashes.windows(5) {
        let h = mix(shingle
            .iter()
            .fold(0u64, |acc, w| acc.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ w));
        let slot = (h >> (64 - MINHASH_SIZE.trailing_zeros())) as usize;
        slots[slot] = slots[slot].min(h & 0xffff_ffff);
    }
    (0..MINHASH_SIZE)
        .map(|i| {
            let (distance, value) = (0..MINHASH_SIZE)
                .map(|d| (d as u32, slots[(i + d) % MINHASH_SIZE]))
                .find(|(_, v)| *v != EMPTY)
                .expect("at least one shingle");
            (value as u32).wrapping_add(distance.wrapping_mul(0x9e37_79b9))
        })
        .collect()
}

/// What one pass over a page's text finds: the counts of [`text_stats`], the
/// [`word_hash`] of each of its words lower-cased (for the digest and the MinHash), and the
/// newest year written in it. A page's text is read once instead of five
/// times, a byte at a time where it is ASCII.
/// The first year read as a date in a page's text; the last is 63 years on.
const FIRST_YEAR: u32 = 1990;

#[derive(Debug, Default, PartialEq)]
struct TextScan {
    words: usize,
    sentences: usize,
    syllables: usize,
    longest_sentence: usize,
    word_hashes: Vec<u64>,
    /// An order-sensitive hash of the hashes of the words without a digit.
    wording: u64,
    /// The years written in the text: bit `y - FIRST_YEAR` for year `y`.
    years: u64,
}

impl TextScan {
    fn of(text: &str) -> TextScan {
        let mut scan = TextScan {
            // About one word in six bytes of English.
            word_hashes: Vec::with_capacity(text.len() / 6),
            ..TextScan::default()
        };
        // The whitespace-separated token being read, as text_stats reads it.
        let (mut counter, mut in_token, mut token_is_word, mut token_last) =
            (Syllables::default(), false, false, ' ');
        let mut sentence_words = 0;
        // The alphanumeric run being read (a normalised word) and the ASCII digit run.
        let mut word_start: Option<usize> = None;
        let mut word_has_digit = false;
        let (mut digits, mut number) = (0usize, 0u32);
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at].is_ascii_alphabetic() {
                // A run of ASCII letters (most of any text) belongs to one token and one
                // word: read it in a tight loop.
                if digits > 0 {
                    scan.end_number(digits, number);
                    (digits, number) = (0, 0);
                }
                word_start.get_or_insert(at);
                let run = at;
                while bytes.get(at).is_some_and(u8::is_ascii_alphabetic) {
                    at += 1;
                }
                counter.push_ascii_letters(&bytes[run..at]);
                (in_token, token_is_word) = (true, true);
                token_last = char::from(bytes[at - 1]);
                continue;
            }
            let (c, width) = match bytes[at] {
                b if b.is_ascii() => (char::from(b), 1),
                _ => {
                    let c = text[at..].chars().next().expect("at a char boundary");
                    (c, c.len_utf8())
                }
            };
            if c.is_ascii_digit() {
                word_has_digit = true;
                digits += 1;
                if digits <= 4 {
                    number = number * 10 + u32::from(bytes[at] - b'0');
                }
            } else if digits > 0 {
                scan.end_number(digits, number);
                (digits, number) = (0, 0);
            }
            if c.is_alphanumeric() {
                word_start.get_or_insert(at);
            } else if let Some(start) = word_start.take() {
                scan.push_word(&text[start..at], word_has_digit);
                word_has_digit = false;
            }
            if c.is_whitespace() {
                if in_token {
                    scan.end_token(&counter, token_is_word, token_last, &mut sentence_words);
                    (counter, in_token, token_is_word) = (Syllables::default(), false, false);
                }
            } else {
                in_token = true;
                token_last = c;
                if c.is_ascii() {
                    if c.is_ascii_alphabetic() {
                        token_is_word = true;
                        counter.push(c.to_ascii_lowercase());
                    } else if c.is_ascii_digit() {
                        token_is_word = true;
                    }
                } else if c.is_alphabetic() {
                    token_is_word = true;
                    c.to_lowercase().for_each(|l| counter.push(l));
                } else if c.is_alphanumeric() {
                    token_is_word = true;
                }
            }
            at += width;
        }
        if digits > 0 {
            scan.end_number(digits, number);
        }
        if let Some(start) = word_start {
            scan.push_word(&text[start..], word_has_digit);
        }
        if in_token {
            scan.end_token(&counter, token_is_word, token_last, &mut sentence_words);
        }
        if sentence_words > 0 {
            scan.sentences += 1;
            scan.longest_sentence = scan.longest_sentence.max(sentence_words);
        }
        scan
    }

    fn end_token(
        &mut self,
        counter: &Syllables,
        is_word: bool,
        last: char,
        sentence_words: &mut usize,
    ) {
        if !is_word {
            return;
        }
        self.words += 1;
        *sentence_words += 1;
        self.syllables += counter.count();
        if matches!(last, '.' | '!' | '?') {
            self.sentences += 1;
            self.longest_sentence = self.longest_sentence.max(*sentence_words);
            *sentence_words = 0;
        }
    }

    fn end_number(&mut self, digits: usize, number: u32) {
        if digits == 4 && (FIRST_YEAR..FIRST_YEAR + 64).contains(&number) {
            self.years |= 1 << (number - FIRST_YEAR);
        }
    }

    /// The newest year written, no later than `latest`.
    fn newest_year(&self, latest: u16) -> Option<u16> {
        let allowed = match u32::from(latest).checked_sub(FIRST_YEAR) {
            Some(bits) if bits < 63 => (1u64 << (bits + 1)) - 1,
            Some(_) => u64::MAX,
            None => 0,
        };
        let years = self.years & allowed;
        (years != 0).then(|| (FIRST_YEAR + 63 - years.leading_zeros()) as u16)
    }

    fn push_word(&mut self, word: &str, has_digit: bool) {
        let hash = if !word.is_ascii() {
            // Whole words, for the final sigma's sake.
            word_hash(word.to_lowercase().as_bytes())
        } else if word.bytes().any(|b| b.is_ascii_uppercase()) {
            // ASCII letters and digits only: setting bit 5 lower-cases the letters and
            // leaves the digits as they are.
            let lower: Vec<u8> = word.bytes().map(|b| b | 0x20).collect();
            word_hash(&lower)
        } else {
            // Most words: hashed where they lie. Hashing a copy just written a byte at a
            // time made every word's loads wait for those stores.
            word_hash(word.as_bytes())
        };
        self.word_hashes.push(hash);
        if !has_digit {
            self.wording = (self.wording ^ hash).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// The share of equal slots in two signatures: an estimate of Jaccard similarity.
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// The elements the facts are read from, found in one walk of the document: from the main
/// content (less the skipped subtrees) and from the whole page. The walk also finds the
/// page's `<base href>`, which the conversion needs before the facts are read.
#[derive(Default)]
pub struct PageElements<'a> {
    headings: Vec<ElementRef<'a>>,
    images: Vec<ElementRef<'a>>,
    tables: Vec<ElementRef<'a>>,
    links: Vec<ElementRef<'a>>,
    forms: Vec<ElementRef<'a>>,
    first_h1: Option<ElementRef<'a>>,
    embeds: Vec<ElementRef<'a>>,
    objects: Vec<ElementRef<'a>>,
    noscripts: Vec<ElementRef<'a>>,
    scripts: Vec<ElementRef<'a>>,
    viewstate: bool,
    /// The `href` of the first `<base href>`, as browsers take it.
    pub base_href: Option<&'a str>,
}

impl<'a> PageElements<'a> {
    pub fn collect(document: &'a Html, main: ElementRef<'a>, skip: &NodeSet) -> Self {
        let embeds = selector!(
            "iframe[src], embed[src], object[data], script[src], tableau-viz, div.tableauPlaceholder, object.tableauViz",
        );
        let mut found = PageElements::default();
        // Main content counts unless it, or a node above it, is left out.
        let main_kept =
            !main.ancestors().any(|a| skip.contains(&a.id())) && !skip.contains(&main.id());
        let mut in_main = false;
        let mut skipping: Option<NodeId> = None;
        for edge in document.root_element().traverse() {
            let node = match edge {
                ego_tree::iter::Edge::Open(node) => node,
                ego_tree::iter::Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                    }
                    if node.id() == main.id() {
                        in_main = false;
                    }
                    continue;
                }
            };
            let Some(element) = ElementRef::wrap(node) else {
                continue;
            };
            let name = element.value().name();
            match name {
                "h1" if found.first_h1.is_none() => found.first_h1 = Some(element),
                "script" => found.scripts.push(element),
                "noscript" => found.noscripts.push(element),
                "input" => {
                    found.viewstate |= element.value().attribute("name") == Some("__VIEWSTATE");
                }
                "base" if found.base_href.is_none() => {
                    found.base_href = element.value().attribute("href");
                }
                _ => {}
            }
            if matches!(name, "object" | "embed") {
                found.objects.push(element);
            }
            if matches!(
                name,
                "iframe" | "embed" | "object" | "script" | "tableau-viz" | "div"
            ) && embeds.matches(&element)
            {
                found.embeds.push(element);
            }
            if node.id() == main.id() {
                in_main = main_kept;
            }
            if !in_main || skipping.is_some() {
                continue;
            }
            if skip.contains(&node.id()) {
                skipping = Some(node.id());
                continue;
            }
            match name {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => found.headings.push(element),
                "img" => found.images.push(element),
                "table" => found.tables.push(element),
                "a" if element.value().attribute("href").is_some() => found.links.push(element),
                "form" => found.forms.push(element),
                _ => {}
            }
        }
        found
    }
}

/// Reads the facts of a page: text statistics, headings and images from the main content
/// (less its skipped nodes); data and tool signals and links from the whole page.
/// The facts of a page fetched in `fetched_year`.
pub fn page_facts(
    elements: &PageElements<'_>,
    main_text: &str,
    base: Option<&Url>,
    fetched_year: u16,
) -> PageFacts {
    let mut facts = PageFacts::default();
    let scan = TextScan::of(main_text);
    let words = scan.words;
    facts.words = scan.words;
    facts.sentences = scan.sentences;
    facts.syllables = scan.syllables;
    facts.longest_sentence = scan.longest_sentence;
    for h in &elements.headings {
        let level = h.value().name().as_bytes()[1] - b'0';
        facts.headings.push(level);
    }
    facts.h1 = elements
        .first_h1
        .map(|h| crate::extract::links::collapse_whitespace(&text_of(h)))
        .filter(|t| !t.is_empty());
    // The page's h1 heads the outline even when the title sits outside the main content.
    if facts.h1.is_some() && facts.headings.first() != Some(&1) {
        facts.headings.insert(0, 1);
    }
    for img in &elements.images {
        facts.images += 1;
        if img.value().attribute("alt").is_none() {
            facts.images_without_alt += 1;
        }
    }

    // Tables of figures: at least two rows and two columns, not a layout table.
    let rows = selector!("tr");
    let cells = selector!("td, th");
    let header_cells = selector!("th");
    let mut cell_text = String::new();
    for &table in &elements.tables {
        if table.value().attribute("role") == Some("presentation")
            || table.select(selector!("table")).nth(1).is_some()
        {
            continue;
        }
        let row_count = table.select(rows).count();
        let max_cols = table
            .select(rows)
            .map(|r| r.select(cells).count())
            .max()
            .unwrap_or(0);
        if row_count < 2 || max_cols < 2 {
            continue;
        }
        let (mut cell_count, mut numeric) = (0, 0);
        for cell in table.select(cells) {
            text_into(cell, &mut cell_text);
            cell_count += 1;
            numeric += usize::from(is_numeric(&cell_text));
        }
        let has_headers = table.select(header_cells).next().is_some();
        // Mostly figures, or headed columns with some figures: a list of names is not data.
        if numeric * 10 < cell_count * 3 && !(has_headers && numeric > 0) {
            continue;
        }
        facts.data_tables += 1;
        facts.numeric_cells += numeric;
        facts.largest_table_cells = facts.largest_table_cells.max(numeric);
        if !has_headers {
            facts.tables_without_headers += 1;
        }
    }

    let mut tools = HashSet::new();
    let mut charts = HashSet::new();
    for &a in &elements.links {
        facts.links += 1;
        let href = a.value().attribute("href").unwrap_or_default();
        let absolute = base
            .and_then(|b| b.join(href).ok())
            .map(|u| u.to_string())
            .unwrap_or_else(|| href.to_owned());
        let lower = absolute.to_ascii_lowercase();
        let feed = ["rss", "feed", "atom", "sitemap"]
            .iter()
            .any(|f| lower.contains(f));
        if let Some(ext) = extension(&absolute)
            && !feed
            && (DATA_FORMATS.iter().any(|(f, _)| *f == ext)
                || DOCUMENT_FORMATS.contains(&ext.as_str()))
        {
            *facts.files.entry(ext).or_insert(0) += 1;
        }
        if lower.contains("fingertips.phe.org.uk") {
            facts.fingertips_links += 1;
        }
        let text = crate::extract::links::collapse_whitespace(&text_of(a)).to_lowercase();
        let text = text.trim_end_matches(['.', ':', '»', '>', ' ']);
        if VAGUE_LINK_TEXT.contains(&text) && facts.vague_links.len() < 20 {
            facts.vague_links.push(text.to_owned());
        }
    }
    for &e in &elements.embeds {
        let v = e.value();
        let named = v.name() == "tableau-viz" || v.classes().any(|c| c.starts_with("tableau"));
        // What loads it, and the title it gives itself.
        let src = format!(
            "{} {}",
            v.attribute("src")
                .or_else(|| v.attribute("data"))
                .unwrap_or(if named { "tableau" } else { "" }),
            v.attribute("title").unwrap_or_default()
        )
        .to_ascii_lowercase();
        if src.contains(".swf") || v.attribute("type") == Some("application/x-shockwave-flash") {
            facts.flash = true;
        }
        for (marker, name) in TOOL_MARKERS {
            if src.contains(marker)
                && (v.name() != "script" || *name == "Tableau" || *name == "InstantAtlas")
            {
                tools.insert(*name);
            }
        }
        if v.name() == "script" {
            for (marker, name) in CHART_MARKERS {
                if src.contains(marker) {
                    charts.insert(*name);
                }
            }
        }
    }
    for o in &elements.objects {
        if o.value()
            .attrs()
            .any(|(_, v)| v.to_ascii_lowercase().contains(".swf"))
        {
            facts.flash = true;
        }
    }
    if facts.flash {
        tools.insert("Flash");
    }
    facts.tools = tools.into_iter().map(str::to_owned).collect();
    facts.tools.sort();
    facts.charts = charts.into_iter().map(str::to_owned).collect();
    facts.charts.sort();

    for form in &elements.forms {
        let method = form
            .value()
            .attribute("method")
            .unwrap_or("get")
            .to_ascii_lowercase();
        if method == "get" && form.select(selector!("select")).next().is_some() {
            facts.get_forms += 1;
        }
    }
    let viewstate = elements.viewstate;
    let noscript = elements
        .noscripts
        .iter()
        .any(|n| text_of(*n).trim().len() > 20);
    let script_bytes: usize = elements.scripts.iter().map(|s| text_of(*s).len()).sum();
    facts.js_app = viewstate || noscript || (script_bytes > 20_000 && words < 100);

    facts.text_digest = {
        // Equal words, equal hashes: the words' hashes in order stand for the text.
        let words: Vec<u8> = scan
            .word_hashes
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        let hash = xxhash_rust::xxh3::xxh3_128(&words).to_be_bytes();
        crate::store::hex(&hash[..10])
    };
    facts.wording_digest = format!("{:016x}", scan.wording);
    facts.minhash = minhash_of_hashes(&scan.word_hashes);
    static TERMS: std::sync::LazyLock<crate::extract::Phrases> =
        std::sync::LazyLock::new(|| crate::extract::Phrases::new(STATISTICAL_TERMS));
    facts.statistical_terms = TERMS.present(main_text).into_iter().filter(|&s| s).count();
    facts.newest_year = scan.newest_year(fetched_year);
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_after_the_fetch_is_a_target_or_a_number_not_the_texts_age() {
        let scan =
            TextScan::of("Published 2012. Targets for 2020 and 2030; see page 2029 of 1989.");
        assert_eq!(scan.newest_year(2015), Some(2012));
        assert_eq!(scan.newest_year(2026), Some(2020));
        assert_eq!(scan.newest_year(2030), Some(2030));
        assert_eq!(scan.newest_year(u16::MAX), Some(2030));
        assert_eq!(scan.newest_year(2011), None);
        assert_eq!(scan.newest_year(1980), None);
        assert_eq!(
            TextScan::of("In 2053 and 2054.").newest_year(u16::MAX),
            Some(2053)
        );
    }

    /// The first `<base>` with an `href` counts, wherever the parser put it; one without an
    /// `href` is passed over, as browsers pass it over.
    #[test]
    fn the_walk_finds_the_first_base_with_an_href() {
        for (html, expected) in [
            (
                "<head><base target=_blank><base href=/a/></head><body><p>x</p></body>",
                Some("/a/"),
            ),
            (
                "<body><p>x</p><base href=/b/><base href=/c/></body>",
                Some("/b/"),
            ),
            ("<BASE HREF='/d/'><p>x</p>", Some("/d/")),
            ("<p>&lt;base href=/e/&gt;</p>", None),
        ] {
            let document = Html::parse_document(html);
            let body = document.select(selector!("body")).next().unwrap();
            let elements = PageElements::collect(&document, body, &NodeSet::default());
            assert_eq!(elements.base_href, expected, "{html}");
        }
    }

    #[test]
    fn syllables_follow_vowel_groups() {
        for (word, n) in [
            ("health", 1),
            ("table", 2),
            ("surveillance", 3),
            ("make", 1),
            ("the", 1),
            ("epidemic", 4),
            ("ÉCOLE", 2),
            ("2013", 0),
            ("A", 1),
        ] {
            assert_eq!(syllables(word), n, "{word}");
        }
    }

    /// One pass over the text finds what the separate passes it replaced found.
    #[test]
    fn text_scan_equals_the_separate_passes() {
        let texts = [
            "",
            " ",
            "Health 2013. Rates per 100,000 rose! Did they? 1989 1990 2030 2031 12345 0x2014",
            "  ÉCOLE   Ὀδυσσεύς ΣΊΣΥΦΟΣ naïve café—2015 … 3.5% ¼ ² x\u{a0}y\u{2003}z end.",
            "... !!! ?? - – 2020-03-12 12/03/2019 a.b.c word.\tword\nword\x0bword\x0cword\rword",
            "Table: the tables' syllables; the made-up e.g. i.e. etc. 1999",
            "ǅungla İstanbul ß ﬁ 𝒜𝒷𝒸 日本語のテキスト 2024年",
            "SYZYGY Queue AEIOU bEe rhythm Zz y E le LE able ABLE Ye",
        ];
        // And texts of words of many lengths, in every case, beside the bytes next to the
        // letters' ranges (@ [ ` {).
        let pieces = [
            "a",
            "E",
            "y",
            "Y",
            "b",
            "Zz",
            "le",
            "LE",
            "queueing",
            "rhythms",
            "strengths",
            "Aa",
            "@",
            "[",
            "`",
            "{",
            " ",
            "  ",
            ".",
            "é",
            "\u{a0}",
            "7",
            "2013",
            "-",
            "\n",
        ];
        let generated = crate::extract::generated_texts(&pieces, 0x2545_f491_4f6c_dd1d, 500);
        for text in texts
            .iter()
            .copied()
            .chain(generated.iter().map(String::as_str))
        {
            let scan = TextScan::of(text);
            let (words, sentences, syllables, longest) = text_stats(text);
            let mut normalised = String::new();
            for word in text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                if !normalised.is_empty() {
                    normalised.push(' ');
                }
                normalised.push_str(&word.to_lowercase());
            }
            let years = text
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| t.len() == 4)
                .filter_map(|t| t.parse::<u32>().ok())
                .filter(|y| (1990..2054).contains(y))
                .fold(0u64, |years, y| years | 1 << (y - 1990));
            let lower_words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
            let hashes: Vec<u64> = lower_words
                .iter()
                .map(|w| word_hash(w.as_bytes()))
                .collect();
            let wording = lower_words
                .iter()
                .zip(&hashes)
                .filter(|(w, _)| !w.bytes().any(|b| b.is_ascii_digit()))
                .fold(0u64, |acc, (_, h)| {
                    (acc ^ h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                });
            let expected = TextScan {
                words,
                sentences,
                syllables,
                longest_sentence: longest,
                word_hashes: hashes,
                wording,
                years,
            };
            assert_eq!(scan, expected, "{text:?}");
            assert_eq!(
                minhash_of_hashes(&scan.word_hashes),
                minhash(lower_words.iter().copied()),
            );
        }
    }

    /// Words 0..n of a numbered vocabulary.
    fn text(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("word{i}")).collect()
    }

    #[test]
    fn versions_differing_only_in_dates_and_figures_share_their_wording() {
        let wording = |text: &str| TextScan::of(text).wording;
        let may = "Published: 2012-05-01. The report covers 12 areas in 2011.";
        let july = "Published: 2012-07-15. The report covers 14 areas in 2011/12.";
        assert_eq!(wording(may), wording(july));
        assert_ne!(
            TextScan::of(may).word_hashes,
            TextScan::of(july).word_hashes
        );
        assert_ne!(
            wording(may),
            wording("Published: 2012-05-01. The review covers 12 areas in 2011.")
        );
        assert_ne!(
            wording(may),
            wording("The report covers 12 areas in 2011. Published: 2012-05-01.")
        );
    }

    #[test]
    fn minhash_estimates_shingle_overlap() {
        let sim = |a: &[String], b: &[String]| {
            similarity(
                &minhash(a.iter().map(String::as_str)),
                &minhash(b.iter().map(String::as_str)),
            )
        };
        let a = text(0..400);
        assert_eq!(sim(&a, &a), 1.0);
        assert!(sim(&a, &text(1000..1400)) < 0.1);
        // 200 of 600 distinct shingles in common: Jaccard about a third.
        let half = sim(&a, &text(200..600));
        assert!((0.15..0.55).contains(&half), "{half}");
        // Order matters: the same words reversed share no shingle.
        let mut reversed = a.clone();
        reversed.reverse();
        assert!(sim(&a, &reversed) < 0.1);
        assert!(minhash(["too", "short"]).is_empty());
        // Short texts fill few slots; the borrowed ones still compare.
        assert_eq!(sim(&text(0..6), &text(0..6)), 1.0);
        let near = sim(&text(0..30), &text(1..31));
        assert!(near > 0.6, "{near}");
        assert!(sim(&text(0..30), &text(100..130)) < 0.1);
    }
}
