//! User needs on Maslow's model, read from `mappings/<abbr>.yml`: role, goal and benefit
//! are required; justifications and impact come from Maslow's fixed lists; evidence is
//! whole numbers; needs attach to the site, a section (path prefix) or a page. Errors carry
//! `file:line:column`; content-design lint (GOV.UK's rules for writing needs) comes back
//! as warnings.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::canonical::Canonicalizer;
use crate::config::yaml::YamlDocument;
use crate::diagnostic::{Diagnostic, nearest_of};

/// Maslow's seven justifications.
pub const JUSTIFICATIONS: &[&str] = &[
    "It's something only government does",
    "The government is legally obliged to provide it",
    "It's inherent to a person's or an organisation's rights and obligations",
    "It's something that people can do or it's something people need to know before they can do something that's regulated by/related to government",
    "There is clear demand for it from users",
    "It's something the government provides/does/pays for",
    "It's straightforward advice that helps people to comply with their statutory obligations",
];

/// Maslow's impact scale, lowest first.
pub const IMPACTS: &[&str] = &[
    "No impact",
    "Noticed only by an expert audience",
    "Noticed by the average member of the public",
    "Has consequences for the majority of your users",
    "Has serious consequences for your users and/or their customers",
    "Endangers people",
];

/// Words that name a solution rather than a need.
const SOLUTION_WORDS: &[&str] = &[
    "download",
    "pdf",
    "spreadsheet",
    "tool",
    "calculator",
    "website",
    "page",
    "visit",
];

/// A need's target after migration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// One user need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Need {
    pub id: String,
    pub role: String,
    pub goal: String,
    pub benefit: String,
    pub met_when: Vec<String>,
    pub justifications: Vec<String>,
    /// Position on [`IMPACTS`].
    pub impact: Option<usize>,
    pub evidence: BTreeMap<String, u64>,
    pub status: String,
    pub duplicate_of: Option<String>,
    pub targets: Vec<Target>,
}

impl Need {
    pub fn title(&self) -> String {
        format!(
            "As a {}, I need to {}, so that {}",
            self.role, self.goal, self.benefit
        )
    }

    pub fn impact_name(&self) -> &'static str {
        self.impact.map_or("", |i| IMPACTS[i])
    }
}

/// The needs of a site and where they attach.
#[derive(Clone, Debug, Default)]
pub struct Needs {
    pub needs: Vec<Need>,
    pub site: Vec<String>,
    /// Lower-cased prefix → need ids.
    pub sections: Vec<(String, Vec<String>)>,
    /// Canonical key → need ids.
    pub pages: BTreeMap<String, Vec<String>>,
    /// Prefix or key → disposition, as written.
    pub section_dispositions: Vec<(String, String)>,
    pub page_dispositions: BTreeMap<String, String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Needs {
    /// The needs a page meets: its own, else its longest section's, else the site's.
    pub fn for_key(&self, key: &str) -> Vec<String> {
        if let Some(ids) = self.pages.get(key) {
            return ids.clone();
        }
        if let Some((_, ids)) = self
            .sections
            .iter()
            .filter(|(p, _)| crate::canonical::in_section(key, p))
            .max_by_key(|(p, _)| p.len())
        {
            return ids.clone();
        }
        self.site.clone()
    }

    /// The disposition decided for a page: its own, else its longest section's.
    pub fn disposition_for(&self, key: &str) -> Option<String> {
        if let Some(d) = self.page_dispositions.get(key) {
            return Some(d.clone());
        }
        self.section_dispositions
            .iter()
            .filter(|(p, _)| crate::canonical::in_section(key, p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, d)| d.clone())
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawFile {
    #[serde(default)]
    needs: Vec<RawNeed>,
    #[serde(default)]
    site_needs: Vec<String>,
    #[serde(default)]
    sections: Vec<RawPlace>,
    #[serde(default)]
    pages: Vec<RawPlace>,
}

#[derive(Debug, Default, Deserialize)]
struct RawNeed {
    id: Option<String>,
    role: Option<String>,
    goal: Option<String>,
    benefit: Option<String>,
    #[serde(default)]
    met_when: Vec<String>,
    #[serde(default)]
    justifications: Vec<String>,
    impact: Option<String>,
    #[serde(default)]
    evidence: BTreeMap<String, serde_norway::Value>,
    status: Option<String>,
    duplicate_of: Option<String>,
    #[serde(default)]
    targets: Vec<Target>,
}

#[derive(Debug, Default, Deserialize)]
struct RawPlace {
    prefix: Option<String>,
    path: Option<String>,
    #[serde(default)]
    needs: Vec<String>,
    disposition: Option<String>,
}

/// The dispositions a page or section can be given.
pub const DISPOSITIONS: &[&str] = &[
    "keep",
    "migrate",
    "rewrite",
    "merge",
    "migrate_as_statistics",
    "migrate_as_publication",
    "hand_to_fingertips",
    "rebuild_tool",
    "archive",
];

/// Reads and checks the needs in a mappings file (absent file: no needs).
pub fn load(path: &Path, canonicalizer: &Canonicalizer) -> Needs {
    let mut out = Needs::default();
    if !path.is_file() {
        return out;
    }
    match YamlDocument::read(path) {
        Ok(doc) => check(path, &doc, canonicalizer),
        Err(d) => {
            out.diagnostics.push(d);
            out
        }
    }
}

/// Checks the needs in a parsed mappings file; `path` names it in messages.
pub fn check(path: &Path, doc: &YamlDocument, canonicalizer: &Canonicalizer) -> Needs {
    let mut out = Needs::default();
    let raw: RawFile = match doc.deserialize() {
        Ok(raw) => raw,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    let error = |out: &mut Needs, at: &[&str], message: String, help: &str| {
        out.diagnostics
            .push(Diagnostic::error(path, doc.value_position(at), message).with_help(help));
    };
    let warn = |out: &mut Needs, at: &[&str], message: String, help: &str| {
        out.diagnostics
            .push(Diagnostic::warning(path, doc.value_position(at), message).with_help(help));
    };
    let mut ids = HashSet::new();
    for (i, n) in raw.needs.iter().enumerate() {
        let index = i.to_string();
        let at = |field: &'static str| -> Vec<String> {
            vec!["needs".into(), index.clone(), field.into()]
        };
        fn at_ref(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        let Some(id) = n.id.clone().filter(|s| !s.trim().is_empty()) else {
            error(
                &mut out,
                &["needs", &index],
                "a need without an id".into(),
                "give it `id:`, a short stable slug such as hpa-disease-facts",
            );
            continue;
        };
        if !ids.insert(id.clone()) {
            error(
                &mut out,
                &at_ref(&at("id")),
                format!("need id {id:?} is used twice"),
                "give each need its own id",
            );
        }
        let mut need = Need {
            id: id.clone(),
            status: n.status.clone().unwrap_or_else(|| "valid".into()),
            met_when: n.met_when.clone(),
            targets: n.targets.clone(),
            duplicate_of: n.duplicate_of.clone(),
            ..Need::default()
        };
        for (field, value, slot) in [
            ("role", &n.role, &mut need.role),
            ("goal", &n.goal, &mut need.goal),
            ("benefit", &n.benefit, &mut need.benefit),
        ] {
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => *slot = v.to_owned(),
                None => error(
                    &mut out,
                    &at_ref(&at(field)),
                    format!("need {id:?} has no {field}"),
                    match field {
                        "role" => {
                            "write who the user is: `role: local authority public health commissioner` (\"As a ...\")"
                        }
                        "goal" => {
                            "write what they need to do: `goal: compare child health indicators for my area` (\"I need to ...\")"
                        }
                        _ => {
                            "write why: `benefit: I can plan services that match local need` (\"So that ...\")"
                        }
                    },
                ),
            }
        }
        for (j, justification) in n.justifications.iter().enumerate() {
            if !JUSTIFICATIONS.contains(&justification.as_str()) {
                error(
                    &mut out,
                    &["needs", &index, "justifications", &j.to_string()],
                    format!("{justification:?} is not one of Maslow's justifications"),
                    &nearest_of(justification, JUSTIFICATIONS, "They are:", "use one of:"),
                );
            } else {
                need.justifications.push(justification.clone());
            }
        }
        if let Some(impact) = &n.impact {
            match IMPACTS.iter().position(|i| i == impact) {
                Some(p) => need.impact = Some(p),
                None => error(
                    &mut out,
                    &at_ref(&at("impact")),
                    format!("impact {impact:?} is not on Maslow's scale"),
                    &nearest_of(impact, IMPACTS, "The scale is:", "use one of:"),
                ),
            }
        }
        for (key, value) in &n.evidence {
            match value.as_u64() {
                Some(v) => {
                    need.evidence.insert(key.clone(), v);
                }
                None if value.is_null() => {}
                None if matches!(key.as_str(), "legislation" | "other_evidence") => {}
                None => error(
                    &mut out,
                    &["needs", &index, "evidence", key],
                    format!("evidence {key} must be a whole number of 0 or more"),
                    "write e.g. `yearly_need_views: 48000`",
                ),
            }
        }
        // Content-design lint: GOV.UK's rules for writing user needs.
        let role = need.role.to_lowercase();
        if role == "user" || role == "a user" {
            warn(
                &mut out,
                &at_ref(&at("role")),
                format!("need {id:?}: the role is just \"user\""),
                "say who the user is (GOV.UK: do not start with \"as a user\")",
            );
        }
        let goal = need.goal.to_lowercase();
        if let Some(word) = SOLUTION_WORDS
            .iter()
            .find(|w| goal.split(|c: char| !c.is_alphanumeric()).any(|g| g == **w))
        {
            warn(
                &mut out,
                &at_ref(&at("goal")),
                format!("need {id:?}: the goal names a solution ({word:?})"),
                "write the task the user has, not the thing that meets it",
            );
        }
        if goal.starts_with("understand") || goal.starts_with("be aware of") {
            warn(
                &mut out,
                &at_ref(&at("goal")),
                format!("need {id:?}: the goal is to understand or be aware"),
                "needs are tasks: say what understanding lets the user do",
            );
        }
        if need.met_when.is_empty() {
            warn(
                &mut out,
                &["needs", &index],
                format!("need {id:?} has no met_when"),
                "list what must be true for the need to be met",
            );
        }
        if need.evidence.is_empty() {
            warn(
                &mut out,
                &["needs", &index],
                format!("need {id:?} has no evidence"),
                "give yearly_need_views, yearly_user_contacts or yearly_searches",
            );
        }
        out.needs.push(need);
    }
    // Positions are the file's own: a need without an id was left out of `out.needs`.
    for (i, need) in raw.needs.iter().enumerate() {
        if let (Some(id), Some(other)) = (&need.id, &need.duplicate_of)
            && (other == id || !ids.contains(other))
        {
            error(
                &mut out,
                &["needs", &i.to_string(), "duplicate_of"],
                format!("need {id:?}: duplicate_of {other:?} is not another need"),
                "name another need's id",
            );
        }
    }
    let check_ids = |out: &mut Needs, list: &[String], at: &[&str]| {
        for (j, id) in list.iter().enumerate() {
            if !ids.contains(id) {
                let mut p: Vec<&str> = at.to_vec();
                let j = j.to_string();
                p.push(&j);
                let position = doc.value_position(&p);
                out.diagnostics.push(
                    Diagnostic::error(path, position, format!("no need has the id {id:?}"))
                        .with_help("define it under `needs:` or correct the id"),
                );
            }
        }
    };
    check_ids(&mut out, &raw.site_needs, &["site_needs"]);
    out.site = raw.site_needs.clone();
    for (i, s) in raw.sections.iter().enumerate() {
        let index = i.to_string();
        let Some(prefix) = &s.prefix else { continue };
        check_ids(&mut out, &s.needs, &["sections", &index, "needs"]);
        let prefix = prefix.to_ascii_lowercase();
        if !s.needs.is_empty() {
            out.sections.push((prefix.clone(), s.needs.clone()));
        }
        if let Some(d) = &s.disposition {
            check_disposition(&mut out, path, doc, &["sections", &index, "disposition"], d);
            out.section_dispositions.push((prefix, d.clone()));
        }
    }
    for (i, p) in raw.pages.iter().enumerate() {
        let index = i.to_string();
        let Some(page) = &p.path else { continue };
        check_ids(&mut out, &p.needs, &["pages", &index, "needs"]);
        let Ok(key) = canonicalizer.key(page) else {
            continue;
        };
        if !p.needs.is_empty() {
            out.pages.insert(key.clone(), p.needs.clone());
        }
        if let Some(d) = &p.disposition {
            check_disposition(&mut out, path, doc, &["pages", &index, "disposition"], d);
            out.page_dispositions.insert(key, d.clone());
        }
    }
    out
}

fn check_disposition(out: &mut Needs, path: &Path, doc: &YamlDocument, at: &[&str], value: &str) {
    if !DISPOSITIONS.contains(&value) {
        out.diagnostics.push(
            Diagnostic::error(
                path,
                doc.value_position(at),
                format!("disposition {value:?} is not one phe-migrate knows"),
            )
            .with_help(nearest_of(value, DISPOSITIONS, "They are:", "use one of:")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{Mode, SignificantParams};

    /// Each value off Maslow's lists, or off the dispositions, is reported where it is
    /// written, with the value it was probably meant to be.
    #[test]
    fn a_misspelt_list_value_gets_its_position_and_the_nearest_value() {
        let text = "\
needs:
  - id: n1
    role: analyst
    goal: compare rates for my area
    benefit: I can plan services
    justifications: [\"Its something the government provides/does/pays for\", \"Because\"]
    impact: noticed only by an expert audience
sections:
  - prefix: /reports/
    needs: [n1]
    disposition: merged
";
        let path = Path::new("mappings/x.yml");
        let doc = YamlDocument::parse(path, text.to_owned()).unwrap();
        let canonicalizer = Canonicalizer::new(SignificantParams::None, Mode::Govuk);
        let needs = check(path, &doc, &canonicalizer);
        let errors: Vec<String> = needs
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        let expected = [
            (
                "mappings/x.yml:6:22: error: \"Its something",
                "did you mean `It's something the government provides/does/pays for`? They are: It's something only government does; ",
            ),
            ("mappings/x.yml:6:77: error: \"Because\"", "use one of: "),
            (
                "mappings/x.yml:7:13: error: impact",
                "did you mean `Noticed only by an expert audience`?",
            ),
            (
                "mappings/x.yml:11:18: error: disposition \"merged\"",
                "did you mean `merge`? They are: keep, migrate, ",
            ),
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (error, (start, help)) in errors.iter().zip(expected) {
            assert!(error.starts_with(start), "{error}\nwanted: {start}");
            assert!(error.contains(help), "{error}\nwanted: {help}");
        }
    }
}
