//! The parts of `mappings/<abbr>.yml` the transform reads: format rules, and the user needs
//! that sections and pages meet (written into each draft's front matter).

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::yaml::YamlDocument;
use crate::diagnostic::{Diagnostic, Position, nearest_of};
use crate::error::{Error, Result};

/// The keys a mappings file holds at its top; each stage reads its own part (formats and
/// needs for the transform and the audits, decisions for the redirect table).
const TOP_KEYS: &[&str] = &[
    "schema",
    "site",
    "needs",
    "site_needs",
    "sections",
    "pages",
    "formats",
];

/// The keys of a `sections:` or `pages:` entry, besides its `prefix:` or `path:`.
const ENTRY_KEYS: &[&str] = &[
    "type",
    "new_url",
    "archive_url",
    "suggested_url",
    "needs",
    "disposition",
    "notes",
];

/// The keys of a user need under `needs:`, and of one of its `targets:`.
const NEED_KEYS: &[&str] = &[
    "id",
    "role",
    "goal",
    "benefit",
    "met_when",
    "justifications",
    "impact",
    "evidence",
    "status",
    "duplicate_of",
    "targets",
];
const TARGET_KEYS: &[&str] = &["url", "kind", "state"];
/// Maslow's evidence fields: the four yearly counts and two free texts.
const EVIDENCE_KEYS: &[&str] = &[
    "yearly_user_contacts",
    "yearly_site_views",
    "yearly_need_views",
    "yearly_searches",
    "legislation",
    "other_evidence",
];

const FORMATS_HELP: &str =
    "formats entries look like `- match: {path: /news/*}` with `schema_name:` and `document_type:`";

const DECISIONS_HELP: &str = "pages look like `- path: /old.html` with `type: redirect`, `archive` or `unresolved` (and `new_url:` for a redirect); sections take `prefix: /folder/` instead of `path:`";

/// Reads a mappings file's YAML for any stage that takes its part as `T`. A syntax error,
/// a key given twice, or a key no stage reads (a misspelt `pages:` or `path:` would drop
/// its decisions without a word) comes back as diagnostics at their places. The document
/// comes back too, for the positions of later messages.
pub fn read_document<T: DeserializeOwned + Default>(
    path: &Path,
    text: &str,
) -> std::result::Result<(T, YamlDocument), Vec<Diagnostic>> {
    let doc = YamlDocument::parse(path, text.to_owned()).map_err(|d| vec![d])?;
    if text.trim().is_empty() {
        return Ok((T::default(), doc));
    }
    if let Some(duplicate) = doc.duplicates.first() {
        return Err(vec![duplicate.diagnostic(path)]);
    }
    let unknown = unknown_keys(&doc);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    match doc.deserialize() {
        Ok(part) => Ok((part, doc)),
        Err(d) => {
            let help = match d.message.starts_with("formats") {
                true => FORMATS_HELP,
                false => DECISIONS_HELP,
            };
            Err(vec![d.with_help(help)])
        }
    }
}

/// Keys no stage reads, at the top of the file and in its sections and pages.
fn unknown_keys(doc: &YamlDocument) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut check = |parent: &[&str], allowed: &[&str], what: &str| {
        found.extend(doc.unknown_keys(parent, allowed, what));
    };
    check(&[], TOP_KEYS, "A mappings file");
    let entries = |list: &[&str]| {
        (0..)
            .map(|i: usize| i.to_string())
            .take_while(|i| {
                let mut at = list.to_vec();
                at.push(i);
                doc.contains(&at)
            })
            .collect::<Vec<String>>()
    };
    for (list, own) in [("sections", "prefix"), ("pages", "path")] {
        let mut allowed = vec![own];
        allowed.extend_from_slice(ENTRY_KEYS);
        let what = format!("An entry of {list}:");
        for i in entries(&[list]) {
            check(&[list, &i], &allowed, &what);
        }
    }
    for i in entries(&["needs"]) {
        check(&["needs", &i], NEED_KEYS, "A need");
        check(
            &["needs", &i, "evidence"],
            EVIDENCE_KEYS,
            "A need's evidence",
        );
        for j in entries(&["needs", &i, "targets"]) {
            check(
                &["needs", &i, "targets", &j],
                TARGET_KEYS,
                "A need's target",
            );
        }
    }
    crate::diagnostic::sort(&mut found);
    found
}

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
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "match")]
    matches: RawMatch,
    schema_name: String,
    document_type: Option<String>,
    slug: Option<String>,
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
    /// For a rule naming one page: its slug (to settle a path two pages claim).
    pub slug: Option<String>,
    /// Where the rule is written, for the warning when it matches no page.
    pub at: Position,
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

/// A path pattern that names one path: no `*`, class or alternation (a `?` stands for
/// itself, as in a query string).
fn is_exact(pattern: &str) -> bool {
    !pattern.contains(['*', '[', '{'])
}

/// A site's mappings as the transform uses them.
#[derive(Debug, Default, Clone)]
pub struct Mappings {
    /// The file the rules come from.
    pub file: std::path::PathBuf,
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

    /// Reads the text of a mappings file; `path` names it in messages, each problem with
    /// its line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Mappings> {
        let usage = |d: Diagnostic| Error::Invalid(vec![d]);
        let (file, doc): (File, _) = read_document(path, text).map_err(Error::Invalid)?;
        let mut rules = Vec::new();
        for (i, rule) in file.formats.into_iter().enumerate() {
            let i = i.to_string();
            let at = |key: &[&str]| {
                let mut key_path = vec!["formats", i.as_str()];
                key_path.extend_from_slice(key);
                doc.value_position(&key_path)
            };
            let schema_name = rule.schema_name.as_str();
            if !super::SCHEMAS.contains(&schema_name) {
                let help = nearest_of(schema_name, super::SCHEMAS, "The formats are", "use one of");
                return Err(usage(
                    Diagnostic::error(
                        path,
                        at(&["schema_name"]),
                        format!("unknown schema_name {schema_name:?}"),
                    )
                    .with_help(help),
                ));
            }
            if let Some(document_type) = &rule.document_type {
                let allowed = super::item::document_types(schema_name);
                if !allowed.iter().any(|t| t == document_type) {
                    let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
                    let allows = format!("{schema_name} allows");
                    let help = nearest_of(document_type, &names, &allows, &allows);
                    return Err(usage(
                        Diagnostic::error(
                            path,
                            at(&["document_type"]),
                            format!(
                                "document_type {document_type:?} is not one of {schema_name}'s"
                            ),
                        )
                        .with_help(help),
                    ));
                }
            }
            let path_glob = match rule.matches.path {
                Some(p) => {
                    let glob = Glob::new(&p.to_lowercase()).map_err(|e| {
                        usage(
                            Diagnostic::error(
                                path,
                                at(&["match", "path"]),
                                format!("path pattern {p:?}: {e}"),
                            )
                            .with_help(
                                "`*` matches any characters (`/` too), `?` one; `[` starts a class",
                            ),
                        )
                    })?;
                    Some((p, glob.compile_matcher()))
                }
                None => None,
            };
            if let Some(slug) = &rule.slug {
                let one_page = path_glob.as_ref().is_some_and(|(p, _)| is_exact(p));
                if !one_page {
                    return Err(usage(
                        Diagnostic::error(path, at(&["slug"]), "a slug names one page").with_help(
                            "match that page by its exact path: `match: {path: /contact.aspx}`",
                        ),
                    ));
                }
                let normal = super::slug(slug);
                if normal != *slug {
                    return Err(usage(
                        Diagnostic::error(
                            path,
                            at(&["slug"]),
                            format!("slug {slug:?} is not one GOV.UK would make"),
                        )
                        .with_help(format!(
                            "lower-case letters, digits and single hyphens: did you mean `{normal}`?"
                        )),
                    ));
                }
            }
            rules.push(FormatRule {
                path: path_glob,
                title: rule.matches.title,
                schema_name: rule.schema_name,
                document_type: rule.document_type,
                slug: rule.slug,
                at: at(&["match", "path"]),
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
            file: path.to_path_buf(),
            rules,
            sections,
            pages,
        })
    }

    /// Compares exact paths (no `*`, `[` or `{`), and the paths of `pages:` entries, as the
    /// lookup keys they stand for, so that `/AboutTheHPA/ContactUs/`, as a browser shows it,
    /// names the page whose key is `/aboutthehpa/contactus` (as the audit reads them too).
    /// `key_of` is the site's canonicaliser; the homepage's key is taken as `/`.
    pub fn with_keys(mut self, key_of: impl Fn(&str) -> Option<String>) -> Mappings {
        let key_of =
            |path: &str| key_of(path).map(|key| crate::canonical::key_as_path(&key).to_owned());
        for (path, _) in &mut self.pages {
            if let Some(key) = key_of(path) {
                *path = key;
            }
        }
        for rule in &mut self.rules {
            let Some((written, matcher)) = &mut rule.path else {
                continue;
            };
            if !is_exact(written) {
                continue;
            }
            let Some(key) = key_of(written) else { continue };
            if let Ok(glob) = Glob::new(&globset::escape(&key)) {
                *matcher = glob.compile_matcher();
            }
        }
        self
    }

    /// Warnings for the rules no page matched (given whether each matched), in file order:
    /// most often a path written as a browser shows it rather than as a lookup key.
    pub fn unmatched(&self, matched: &[bool]) -> Vec<Diagnostic> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(i, _)| !matched.get(*i).copied().unwrap_or(false))
            .map(|(i, rule)| {
                Diagnostic::warning(
                    &self.file,
                    rule.at,
                    format!("formats rule {} ({}) matched no page", i + 1, rule.describe()),
                )
                .with_help(if rule.path.is_some() {
                    "paths are matched against each page's lookup key (an exact path is made one first): compare with the canonical_key column of transform.csv, or ask `phe-migrate canonical SITE URL`"
                } else {
                    "a title matches when it contains these words, in any case: compare with the titles in transform.csv"
                })
            })
            .collect()
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
            .filter(|(prefix, _)| crate::canonical::in_section(&path, prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, needs)| needs.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_no_stage_reads_is_refused_at_its_place_with_the_likely_one() {
        let text = "site: x\npage:\n  - path: /a.html\nsections:\n  - prefix: /b/\n    typ: archive\npages:\n  - pathh: /c.html\n    type: archive\n  - path: /d.html\n    notes: kept for the record\nneeds:\n  - id: n1\n    rol: analyst\n    targets:\n      - url: https://fingertips.phe.org.uk/\n        kinds: fingertips\n    evidence: {yearly_need_view: 48000, other_evidence: a survey}\n";
        let Err(found) = read_document::<File>(Path::new("m.yml"), text) else {
            panic!("accepted");
        };
        let shown: Vec<String> = found
            .iter()
            .map(|d| {
                format!("{d}")
                    .lines()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        assert_eq!(
            shown,
            [
                "m.yml:2:1: error: unknown key `page` |     help: did you mean `pages`? A mappings file takes schema, site, needs, site_needs, sections, pages, formats",
                "m.yml:6:5: error: unknown key `typ` |     help: did you mean `type`? An entry of sections: takes prefix, type, new_url, archive_url, suggested_url, needs, disposition, notes",
                "m.yml:8:5: error: unknown key `pathh` |     help: did you mean `path`? An entry of pages: takes path, type, new_url, archive_url, suggested_url, needs, disposition, notes",
                "m.yml:14:5: error: unknown key `rol` |     help: did you mean `role`? A need takes id, role, goal, benefit, met_when, justifications, impact, evidence, status, duplicate_of, targets",
                "m.yml:17:9: error: unknown key `kinds` |     help: did you mean `kind`? A need's target takes url, kind, state",
                "m.yml:18:16: error: unknown key `yearly_need_view` |     help: did you mean `yearly_need_views`? A need's evidence takes yearly_user_contacts, yearly_site_views, yearly_need_views, yearly_searches, legislation, other_evidence",
            ]
        );
        // The demo's own files use every key they hold rightly.
        for site in ["demo_chobs", "demo_comare", "demo_hpa"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("mappings/{site}.yml"));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(read_document::<File>(&path, &text).is_ok(), "{site}");
        }
    }

    const RULES: &str = "\
# Formats for a test site.
formats:
  - match: {path: /news/*}
    schema_name: news_article
    document_type: news_story
  - match: {path: '/resource/view.aspx*'}
    schema_name: publication
    document_type: research
";

    /// Each problem in a formats entry is reported at its line and column, with a fix.
    fn error_of(text: &str) -> String {
        match Mappings::parse(Path::new("mappings/x.yml"), text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn rules_are_read_in_order() {
        let mappings = Mappings::parse(Path::new("mappings/x.yml"), RULES).unwrap();
        let (index, rule) = mappings.rule_for("/resource/view.aspx?rid=1", "").unwrap();
        assert_eq!((index, rule.schema_name.as_str()), (1, "publication"));
        assert_eq!(rule.document_type.as_deref(), Some("research"));
        assert!(mappings.rule_for("/about", "").is_none());
        assert!(
            Mappings::parse(Path::new("mappings/x.yml"), "")
                .unwrap()
                .rules
                .is_empty()
        );
    }

    #[test]
    fn a_rule_for_one_page_may_give_its_slug() {
        let text = format!(
            "{RULES}  - match: {{path: /resource/view.aspx?rid=7}}\n    schema_name: publication\n    slug: breastfeeding-briefing-2011\n"
        );
        let mappings = Mappings::parse(Path::new("mappings/x.yml"), &text).unwrap();
        assert_eq!(
            mappings.rules[2].slug.as_deref(),
            Some("breastfeeding-briefing-2011")
        );
    }

    #[test]
    fn an_exact_path_is_compared_as_its_lookup_key() {
        let text = "formats:\n  - match: {path: /AboutTheHPA/ContactUs/}\n    schema_name: corporate_information_page\n  - match: {path: /News/*}\n    schema_name: news_article\npages:\n  - path: /Tools/Growth.aspx/\n    needs: [growth]\n";
        // A stand-in for the site's canonicaliser: lower case, no trailing slash.
        let key_of = |path: &str| Some(path.to_lowercase().trim_end_matches('/').to_owned());
        let mappings = Mappings::parse(Path::new("mappings/x.yml"), text)
            .unwrap()
            .with_keys(key_of);
        assert_eq!(
            mappings.rule_for("/aboutthehpa/contactus", "").unwrap().0,
            0
        );
        assert!(
            mappings
                .rule_for("/aboutthehpa/contactus/more", "")
                .is_none()
        );
        // Patterns stay patterns; the rule still names the path as written.
        assert_eq!(mappings.rule_for("/news/2013/flu", "").unwrap().0, 1);
        assert_eq!(mappings.rules[0].describe(), "path /AboutTheHPA/ContactUs/");
        // A page's needs are found by its key as well.
        assert_eq!(mappings.needs_for("/tools/growth.aspx"), ["growth"]);
    }

    #[test]
    fn a_rule_no_page_matched_is_a_warning_at_its_path() {
        let mappings = Mappings::parse(Path::new("mappings/x.yml"), RULES).unwrap();
        let warnings: Vec<String> = mappings
            .unmatched(&[true, false])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "mappings/x.yml:6:19: warning: formats rule 2 (path /resource/view.aspx*) matched no page"
            ),
            "{}",
            warnings[0]
        );
        assert!(mappings.unmatched(&[true, true]).is_empty());
        // A title rule's help is about titles.
        let titled = Mappings::parse(
            Path::new("mappings/x.yml"),
            "formats:\n  - match: {title: Annual Reprot}\n    schema_name: publication\n",
        )
        .unwrap();
        let warning = titled.unmatched(&[false])[0].to_string();
        assert!(
            warning.contains("compare with the titles in transform.csv"),
            "{warning}"
        );
    }

    #[test]
    fn problems_are_reported_where_they_stand() {
        let cases = [
            (
                RULES.replace(
                    "    document_type: research",
                    "    document_type: research\n    slug: one-for-all",
                ),
                "mappings/x.yml:9:11: error: a slug names one page",
                "match that page by its exact path",
            ),
            (
                format!(
                    "{RULES}  - match: {{path: /a.htm}}\n    schema_name: publication\n    slug: My Report_2011\n"
                ),
                "mappings/x.yml:11:11: error: slug \"My Report_2011\" is not one GOV.UK would make",
                "did you mean `my-report-2011`?",
            ),
            (
                RULES.replace("schema_name: news_article", "schema_name: news_articel"),
                "mappings/x.yml:4:18: error: unknown schema_name \"news_articel\"",
                "did you mean `news_article`?",
            ),
            (
                RULES.replace("document_type: research", "document_type: reserch"),
                "mappings/x.yml:8:20: error: document_type \"reserch\" is not one of publication's",
                "did you mean `research`?",
            ),
            (
                RULES.replace("'/resource/view.aspx*'", "'/resource/view.aspx['"),
                "mappings/x.yml:6:19: error: path pattern \"/resource/view.aspx[\"",
                "starts a class",
            ),
            (
                RULES.replace(
                    "    document_type: news_story",
                    "    documnet_type: news_story",
                ),
                "mappings/x.yml:5:5: error: formats[0]: unknown field `documnet_type`",
                "formats entries look like",
            ),
            (
                RULES.replace(
                    "    document_type: research",
                    "    document_type: research\n    schema_name: publication",
                ),
                "mappings/x.yml:9:5: error: duplicate key `formats.1.schema_name` (first at line 7); YAML keeps only the last value",
                "remove one of the two entries",
            ),
            (
                RULES.replace("{path: /news/*}", "{path: /news/*"),
                "mappings/x.yml:4:",
                "YAML syntax error",
            ),
        ];
        for (text, message, help) in cases {
            let error = error_of(&text);
            assert!(error.starts_with(message), "{error}\nwanted: {message}");
            assert!(error.contains(help), "{error}\nwanted: {help}");
        }
    }
}
