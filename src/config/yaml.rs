//! YAML files with positions: serde (via serde_norway) gives typed values, and an index
//! built from yaml-rust2's marked events gives the `line:column` of every key and value,
//! which serde cannot. The index also catches duplicate keys, which YAML parsers silently
//! resolve by keeping the last value.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostic::{Diagnostic, Position};

/// A key path inside a document: mapping keys and sequence indexes, as strings.
pub type KeyPath = Vec<String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Node {
    key: Option<Position>,
    value: Position,
}

/// A key that appears twice in one mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub path: KeyPath,
    pub first: Position,
    pub second: Position,
}

impl DuplicateKey {
    /// The one wording for a key given twice, in any YAML file the tool reads.
    pub fn diagnostic(&self, file: &Path) -> Diagnostic {
        Diagnostic::error(
            file,
            self.second,
            format!(
                "duplicate key `{}` (first at line {}); YAML keeps only the last value",
                self.path.join("."),
                self.first.line
            ),
        )
        .with_help("remove one of the two entries")
    }
}

/// A syntax error at the place to mend. Tabs get their own message: the scanner blames the
/// scalar before a tab, often the line above, which shows nothing wrong.
fn syntax_error(path: &Path, source: &str, e: &yaml_rust2::ScanError) -> Diagnostic {
    let marker = e.marker();
    if e.info().contains("tab")
        && let Some(tab) = indenting_tab(source, marker.line())
    {
        return Diagnostic::error(
            path,
            tab,
            "a tab in the indentation: YAML indents with spaces only",
        )
        .with_help("replace the tab with spaces, as many as the lines around it use");
    }
    let error_line = source.lines().nth(marker.line().saturating_sub(1));
    if let Some(column) = error_line
        .filter(|_| e.info().contains("whitespace"))
        .and_then(|line| line.find(":\t"))
    {
        return Diagnostic::error(
            path,
            Position::new(marker.line(), column + 2),
            "a tab after `:`: this YAML reader wants a space there",
        )
        .with_help("replace the tab with a space");
    }
    Diagnostic::error(
        path,
        Position::new(marker.line(), marker.col() + 1),
        format!("YAML syntax error: {}", e.info()),
    )
    .with_help("fix the YAML at this position (indentation, quotes, brackets)")
}

/// Where a tab indents a line. The first such tab from `error_line` on is the one the
/// scanner tripped over; failing that, the last before.
fn indenting_tab(source: &str, error_line: usize) -> Option<Position> {
    let tabs: Vec<Position> = source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
            indent
                .find('\t')
                .map(|column| Position::new(i + 1, column + 1))
        })
        .collect();
    tabs.iter()
        .find(|tab| tab.line >= error_line)
        .or_else(|| tabs.last())
        .copied()
}

/// A parsed YAML file: its text, where each node is, and its duplicate keys.
#[derive(Debug)]
pub struct YamlDocument {
    pub path: PathBuf,
    pub source: String,
    nodes: HashMap<KeyPath, Node>,
    children: HashMap<KeyPath, Vec<(String, Position)>>,
    pub duplicates: Vec<DuplicateKey>,
}

impl YamlDocument {
    /// Parses `source`; a syntax error comes back as a diagnostic at its position.
    pub fn parse(path: &Path, source: String) -> Result<YamlDocument, Diagnostic> {
        // Windows editors (Notepad) may start a UTF-8 file with a byte order mark, which the
        // YAML parser would read as the start of the first key.
        let source = match source.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => source,
        };
        let mut indexer = Indexer::default();
        let mut parser = Parser::new_from_str(&source);
        if let Err(e) = parser.load(&mut indexer, false) {
            return Err(syntax_error(path, &source, &e));
        }
        Ok(YamlDocument {
            path: path.to_path_buf(),
            source,
            nodes: indexer.nodes,
            children: indexer.children,
            duplicates: indexer.duplicates,
        })
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<YamlDocument, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error(path, Position::new(1, 1), format!("cannot read file: {e}"))
                .with_help("check that the file exists and is readable")
        })?;
        let source = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column_of_byte(e.as_bytes(), e.utf8_error().valid_up_to());
            Diagnostic::error(path, Position::new(line, column), "file is not valid UTF-8")
                .with_help("save the file as UTF-8")
        })?;
        YamlDocument::parse(path, source)
    }

    /// Deserializes the whole document into `T`, mapping serde's errors to diagnostics.
    /// A key given twice is reported at its second place, not where serde notices it.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        if let Some(duplicate) = self.duplicates.first() {
            return Err(duplicate.diagnostic(&self.path));
        }
        if self.source.trim().is_empty() || self.nodes.is_empty() {
            return Err(
                Diagnostic::error(&self.path, Position::new(1, 1), "file is empty")
                    .with_help("write its settings as a YAML mapping (`key: value` lines)"),
            );
        }
        serde_norway::from_str(&self.source).map_err(|e| {
            let position = e
                .location()
                .map(|l| Position::new(l.line(), l.column()))
                .unwrap_or(Position::new(1, 1));
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_owned(),
                None => message,
            };
            Diagnostic::error(&self.path, position, plain_types(&message))
                .with_help("give this setting a value of the expected type")
        })
    }

    /// Where the value at `path` starts; falls back to the nearest ancestor, then 1:1.
    pub fn value_position(&self, path: &[&str]) -> Position {
        self.lookup(path)
            .map(|n| n.value)
            .unwrap_or_else(|| self.fallback(path))
    }

    /// Where the key of `path` stands; falls back to the value, then the nearest ancestor.
    pub fn key_position(&self, path: &[&str]) -> Position {
        self.lookup(path)
            .map(|n| n.key.unwrap_or(n.value))
            .unwrap_or_else(|| self.fallback(path))
    }

    /// Whether a key path is present in the document.
    pub fn contains(&self, path: &[&str]) -> bool {
        self.lookup(path).is_some()
    }

    /// The keys of the mapping at `parent`, in document order (duplicates included).
    pub fn keys(&self, parent: &[&str]) -> &[(String, Position)] {
        let parent: KeyPath = parent.iter().map(|s| s.to_string()).collect();
        self.children.get(&parent).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Each key of the mapping at `parent` that is not `allowed`, at its place, with the
    /// likely one and the list ("{what} takes …"): a misspelt key would otherwise be
    /// dropped without a word.
    pub fn unknown_keys(&self, parent: &[&str], allowed: &[&str], what: &str) -> Vec<Diagnostic> {
        self.keys(parent)
            .iter()
            .filter(|(key, _)| !allowed.contains(&key.as_str()))
            .map(|(key, position)| {
                let help = crate::diagnostic::nearest_of(
                    key,
                    allowed,
                    &format!("{what} takes"),
                    "use one of",
                );
                Diagnostic::error(&self.path, *position, format!("unknown key `{key}`"))
                    .with_help(help)
            })
            .collect()
    }

    /// The comment at the end of a line, if any (text after an unquoted `#`).
    pub fn line_comment(&self, line: usize) -> Option<&str> {
        let text = self.source.lines().nth(line.checked_sub(1)?)?;
        let mut quote = None;
        for (i, c) in text.char_indices() {
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '#') if i == 0 || text[..i].ends_with(char::is_whitespace) => {
                    return Some(text[i + 1..].trim());
                }
                _ => {}
            }
        }
        None
    }

    fn lookup(&self, path: &[&str]) -> Option<&Node> {
        let key: KeyPath = path.iter().map(|s| s.to_string()).collect();
        self.nodes.get(&key)
    }

    fn fallback(&self, path: &[&str]) -> Position {
        (0..path.len())
            .rev()
            .find_map(|n| {
                self.lookup(&path[..n])
                    .map(|node| node.key.unwrap_or(node.value))
            })
            .unwrap_or(Position::new(1, 1))
    }
}

/// 1-based line and column of a byte offset.
pub fn line_column_of_byte(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn position(marker: &Marker) -> Position {
    Position::new(marker.line(), marker.col() + 1)
}

enum Frame {
    Mapping {
        path: KeyPath,
        pending_key: Option<(String, Position)>,
        seen: HashMap<String, Position>,
    },
    Sequence {
        path: KeyPath,
        next_index: usize,
    },
}

/// Builds the node index from parser events.
#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    nodes: HashMap<KeyPath, Node>,
    children: HashMap<KeyPath, Vec<(String, Position)>>,
    duplicates: Vec<DuplicateKey>,
    done: bool,
}

impl Indexer {
    /// If the next scalar is a mapping key, records it and returns `true`.
    fn take_key(&mut self, text: &str, at: Position) -> bool {
        let Some(Frame::Mapping {
            path,
            pending_key,
            seen,
        }) = self.stack.last_mut()
        else {
            return false;
        };
        if pending_key.is_some() {
            return false;
        }
        if let Some(first) = seen.get(text) {
            let mut dup_path = path.clone();
            dup_path.push(text.to_owned());
            self.duplicates.push(DuplicateKey {
                path: dup_path,
                first: *first,
                second: at,
            });
        } else {
            seen.insert(text.to_owned(), at);
        }
        self.children
            .entry(path.clone())
            .or_default()
            .push((text.to_owned(), at));
        *pending_key = Some((text.to_owned(), at));
        true
    }

    /// The path and key position of a value that starts now, advancing the parent.
    fn place_value(&mut self) -> (KeyPath, Option<Position>) {
        match self.stack.last_mut() {
            Some(Frame::Mapping {
                path, pending_key, ..
            }) => {
                let (key, at) = pending_key.take().unwrap_or_default();
                let mut p = path.clone();
                p.push(key);
                (p, Some(at))
            }
            Some(Frame::Sequence { path, next_index }) => {
                let mut p = path.clone();
                p.push(next_index.to_string());
                *next_index += 1;
                (p, None)
            }
            None => (Vec::new(), None),
        }
    }

    /// A scalar is either a mapping key or a value.
    fn scalar(&mut self, text: &str, at: Position) {
        if !self.take_key(text, at) {
            let (path, key) = self.place_value();
            self.record(&path, key, at);
        }
    }

    fn record(&mut self, path: &KeyPath, key: Option<Position>, value: Position) {
        // The first occurrence wins, so duplicate keys point at the value YAML discards last.
        self.nodes
            .entry(path.clone())
            .or_insert(Node { key, value });
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.done {
            return;
        }
        let at = position(&marker);
        match event {
            Event::Scalar(text, ..) => self.scalar(&text, at),
            Event::Alias(_) => self.scalar("*alias", at),
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                // A collection used as a mapping key has no name we can index; give it one.
                self.take_key("<complex key>", at);
                let (path, key) = self.place_value();
                self.record(&path, key, at);
                self.stack.push(if is_mapping {
                    Frame::Mapping {
                        path,
                        pending_key: None,
                        seen: HashMap::new(),
                    }
                } else {
                    Frame::Sequence {
                        path,
                        next_index: 0,
                    }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

/// serde's Rust type names in a message, as the person editing the YAML knows them:
/// "expected u64" is "expected a whole number, 0 or more".
pub fn plain_types(message: &str) -> String {
    const NAMES: [(&str, &str); 9] = [
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        (
            "expected a sequence",
            "expected a list (`- item` lines or `[a, b]`)",
        ),
        ("expected a boolean", "expected true or false"),
    ];
    let mut plain = message.to_owned();
    for (rust, yaml) in NAMES {
        if let Some(at) = plain.find(rust)
            && !plain[at + rust.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            plain.replace_range(at..at + rust.len(), yaml);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_type_names_read_as_yaml_values() {
        assert_eq!(
            plain_types("crawl.delay_ms: invalid value: integer `-5`, expected u64"),
            "crawl.delay_ms: invalid value: integer `-5`, expected a whole number, 0 or more"
        );
        assert_eq!(
            plain_types("x: invalid type: string \"y\", expected a boolean"),
            "x: invalid type: string \"y\", expected true or false"
        );
        // Only a whole name: a struct called `u64x` stays as it is.
        assert_eq!(plain_types("expected u64x"), "expected u64x");
    }

    fn doc(src: &str) -> YamlDocument {
        YamlDocument::parse(Path::new("t.yml"), src.to_owned()).unwrap()
    }

    #[test]
    fn positions_of_keys_and_values() {
        let d = doc("---\nsite: x\naliases:\n  - a.org\n  - b.org\ncrawl:\n  seeds: [/a, /b]\n");
        assert_eq!(d.value_position(&["site"]), Position::new(2, 7));
        assert_eq!(d.key_position(&["aliases"]), Position::new(3, 1));
        assert_eq!(d.value_position(&["aliases", "1"]), Position::new(5, 5));
        assert_eq!(
            d.value_position(&["crawl", "seeds", "1"]),
            Position::new(7, 15)
        );
        // Missing paths fall back to the nearest ancestor.
        assert_eq!(d.value_position(&["crawl", "nope"]), Position::new(6, 1));
        let keys: Vec<_> = d.keys(&[]).iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["site", "aliases", "crawl"]);
    }

    #[test]
    fn duplicate_keys_are_found() {
        let d = doc("a: 1\nb: 2\na: 3\n");
        assert_eq!(
            d.duplicates,
            vec![DuplicateKey {
                path: vec!["a".into()],
                first: Position::new(1, 1),
                second: Position::new(3, 1)
            }]
        );
    }

    #[test]
    fn comments() {
        let d = doc("t: 20170605150000 # Stub timestamp - site not in TNA\nu: 'a # b'\n");
        assert_eq!(d.line_comment(1), Some("Stub timestamp - site not in TNA"));
        assert_eq!(d.line_comment(2), None);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = YamlDocument::parse(Path::new("t.yml"), "a: 1\nb: [x\n".into()).unwrap_err();
        assert_eq!(e.position, Position::new(3, 1));
    }

    #[test]
    fn a_tab_in_the_indentation_is_named_where_it_stands() {
        let cases = [
            // The scanner blames the scalar on line 3; the tab is on line 4.
            ("a:\n  - x: 1\n    y: z\n\t- x: 2\n", Position::new(4, 1)),
            ("a:\n  b: 1\n \tc: 2\n", Position::new(3, 2)),
        ];
        for (source, at) in cases {
            let e = YamlDocument::parse(Path::new("t.yml"), source.into()).unwrap_err();
            assert_eq!(e.position, at, "{source:?}: {}", e.message);
            assert!(
                e.message.contains("tab in the indentation"),
                "{}",
                e.message
            );
        }
        let e = YamlDocument::parse(Path::new("t.yml"), "a: 1\nb:\t2\n".into()).unwrap_err();
        assert_eq!(e.position, Position::new(2, 3), "{}", e.message);
        assert!(e.message.contains("a tab after `:`"), "{}", e.message);
    }
}
