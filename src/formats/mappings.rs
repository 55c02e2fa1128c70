//! The parts of `mappings/<abbr>.yml` the transform reads: format rules, and the user needs
//! that sections and pages meet (written into each draft's front matter).

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    formats: Vec<RawRule>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    pages: Vec<RawPage>,
}

#[derive(Debug, Deserialize)]
struct RawRule {
    #[serde(rename = "match")]
    matches: RawMatch,
    schema_name: String,
    document_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    path: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawSection {
    prefix: String,
    #[serde(default)]
    needs: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawPage {
    path: String,
    #[serde(default)]
    needs: Vec<String>,
}

/// A rule: pages whose path (glob, `*` crosses `/`) or title (substring, any case) match
/// become this format.
#[derive(Debug, Clone)]
pub struct FormatRule {
    path: Option<(String, GlobMatcher)>,
    title: Option<String>,
    pub schema_name: String,
    pub document_type: Option<String>,
}

impl FormatRule {
    pub fn matches(&self, path: &str, title: &str) -> bool {
        let path_ok = self.path.as_ref().is_none_or(|(_, g)| g.is_match(path));
        let title_ok = self
            .title
            .as_ref()
            .is_none_or(|t| title.to_lowercase().contains(&t.to_lowercase()));
        path_ok && title_ok
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((p, _)) = &self.path {
            parts.push(format!("path {p}"));
        }
        if let Some(t) = &self.title {
            parts.push(format!("title contains {t:?}"));
        }
        parts.join(", ")
    }
}

/// A site's mappings as the transform uses them.
#[derive(Debug, Default, Clone)]
pub struct Mappings {
    pub rules: Vec<FormatRule>,
    /// (path prefix, needs), (exact path, needs).
    sections: Vec<(String, Vec<String>)>,
    pages: Vec<(String, Vec<String>)>,
}

impl Mappings {
    /// Reads `mappings/<abbr>.yml`; no file means no rules.
    pub fn load(path: &Path) -> Result<Mappings> {
        if !path.is_file() {
            return Ok(Mappings::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Mappings::parse(path, &text)
    }

    /// Reads the text of a mappings file; `path` names it in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Mappings> {
        let file: File = serde_norway::from_str(text).map_err(|e| {
            let at = e.location().map(|l| format!("{}:{}:", l.line(), l.column())).unwrap_or_default();
            Error::Usage(format!(
                "{}:{at} {e}\n  help: formats entries look like `- match: {{path: /news/*}}` with `schema_name:` and `document_type:`",
                path.display()
            ))
        })?;
        let mut rules = Vec::new();
        for (i, rule) in file.formats.into_iter().enumerate() {
            if !super::SCHEMAS.contains(&rule.schema_name.as_str()) {
                return Err(Error::Usage(format!(
                    "{}: formats entry {}: unknown schema_name {:?}; use one of {}",
                    path.display(),
                    i + 1,
                    rule.schema_name,
                    super::SCHEMAS.join(", ")
                )));
            }
            let path_glob = match rule.matches.path {
                Some(p) => {
                    let glob = Glob::new(&p.to_lowercase()).map_err(|e| {
                        Error::Usage(format!(
                            "{}: formats entry {}: path pattern {p:?}: {e}",
                            path.display(),
                            i + 1
                        ))
                    })?;
                    Some((p, glob.compile_matcher()))
                }
                None => None,
            };
            rules.push(FormatRule {
                path: path_glob,
                title: rule.matches.title,
                schema_name: rule.schema_name,
                document_type: rule.document_type,
            });
        }
        let sections = file
            .sections
            .into_iter()
            .map(|s| (s.prefix.to_lowercase(), s.needs))
            .collect();
        let pages = file
            .pages
            .into_iter()
            .map(|p| (p.path.to_lowercase(), p.needs))
            .collect();
        Ok(Mappings {
            rules,
            sections,
            pages,
        })
    }

    /// The first rule matching the page, with its index.
    pub fn rule_for(&self, path: &str, title: &str) -> Option<(usize, &FormatRule)> {
        let path = path.to_lowercase();
        self.rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(&path, title))
    }

    /// The user needs a page meets: its own entry, else its longest section prefix.
    pub fn needs_for(&self, path: &str) -> Vec<String> {
        let path = path.to_lowercase();
        if let Some((_, needs)) = self.pages.iter().find(|(p, _)| *p == path) {
            return needs.clone();
        }
        self.sections
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, needs)| needs.clone())
            .unwrap_or_default()
    }
}
