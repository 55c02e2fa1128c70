//! GOV.UK formats: which one a legacy page becomes (mapping rules first, then heuristics,
//! each decision with its reason), where it lives (Whitehall base paths and slugs), and the
//! publisher_v2 content item, checked against GOV.UK's own schema.

pub mod file_names;
pub mod item;
pub mod mappings;

use unicode_normalization::UnicodeNormalization;

pub use mappings::{FormatRule, Mappings};

/// GOV.UK's origin: every base path is published under it.
pub const GOVUK_ORIGIN: &str = "https://www.gov.uk";

/// The public URL of the page published at `base_path`.
pub fn govuk_url(base_path: &str) -> String {
    format!("{GOVUK_ORIGIN}{base_path}")
}

/// The GOV.UK format chosen for a page, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub schema_name: String,
    pub document_type: String,
    pub reason: String,
    /// The slug a mappings rule gives the page, instead of one made from its title.
    pub slug: Option<String>,
    /// The index of the mappings rule that decided, if one did.
    pub rule: Option<usize>,
}

/// What the heuristics look at.
#[derive(Clone, Debug, Default)]
pub struct Signals<'a> {
    /// The page's lookup path with its query (`/news/2013/flu.htm`, `/resource/view.aspx?rid=1`).
    pub path: &'a str,
    pub title: &'a str,
    pub words: usize,
    pub headings: usize,
    pub tables: usize,
    pub numeric_tables: usize,
    /// Links to files that become attachments, and how many of them are data (xls, csv, ods).
    pub attachments: usize,
    pub data_attachments: usize,
    /// Links to other pages of the site.
    pub internal_links: usize,
    pub has_date: bool,
}

fn choice(schema_name: &str, document_type: &str, reason: impl Into<String>) -> Choice {
    Choice {
        schema_name: schema_name.to_owned(),
        document_type: document_type.to_owned(),
        reason: reason.into(),
        slug: None,
        rule: None,
    }
}

/// Corporate pages by what their path or title says.
const CORPORATE: &[(&str, &str)] = &[
    ("complaint", "complaints_procedure"),
    ("publication scheme", "publication_scheme"),
    ("publication-scheme", "publication_scheme"),
    ("privacy", "personal_information_charter"),
    ("personal information", "personal_information_charter"),
    ("accessibility", "accessible_documents_policy"),
    ("working for us", "recruitment"),
    ("jobs", "recruitment"),
    ("careers", "recruitment"),
    ("media enquiries", "media_enquiries"),
    ("press office", "media_enquiries"),
    ("freedom of information", "publication_scheme"),
    ("terms of reference", "terms_of_reference"),
    ("governance", "our_governance"),
    ("about", "about"),
    ("contact", "about"),
    ("cookies", "about"),
];

/// Chooses the format: the first matching mapping rule, else the heuristics of
/// govuk-formats §1.3 in order.
pub fn choose(signals: &Signals<'_>, rule: Option<(usize, &FormatRule)>) -> Choice {
    if let Some((index, rule)) = rule {
        let document_type = rule
            .document_type
            .clone()
            .unwrap_or_else(|| default_document_type(&rule.schema_name).to_owned());
        return Choice {
            slug: rule.slug.clone(),
            rule: Some(index),
            ..choice(
                &rule.schema_name,
                &document_type,
                format!("mappings rule {}: {}", index + 1, rule.describe()),
            )
        };
    }
    let path = signals.path.to_ascii_lowercase();
    let title = signals.title.to_ascii_lowercase();
    let says = |word: &str| path.contains(word) || title.contains(word);
    if says("consultation") {
        return choice(
            "consultation",
            "closed_consultation",
            "the path or title says consultation (legacy consultations are closed)",
        );
    }
    if says("case stud") || says("case-stud") || path.contains("casestud") {
        return choice(
            "case_study",
            "case_study",
            "the path or title says case study",
        );
    }
    let segments: Vec<&str> = path.split(['/', '?', '&']).collect();
    let corporate_path = segments
        .iter()
        .any(|s| s.starts_with("about") || s.starts_with("contact") || s.starts_with("cookie"));
    if corporate_path || CORPORATE.iter().any(|(w, _)| title.starts_with(w)) {
        let haystack = format!("{title} {}", path.replace(['-', '_'], " "));
        let document_type = CORPORATE
            .iter()
            .find(|(w, _)| haystack.contains(w))
            .map_or("about", |(_, t)| t);
        return choice(
            "corporate_information_page",
            document_type,
            "an about, contact or corporate page",
        );
    }
    let news_path = [
        "/news",
        "pressrelease",
        "press-release",
        "press_release",
        "/press/",
        "mediacentre",
        "media-centre",
        "newscentre",
    ]
    .iter()
    .any(|w| path.contains(w));
    if news_path || says("press release") {
        let document_type = if says("press release")
            || path.contains("pressrelease")
            || path.contains("press-release")
        {
            "press_release"
        } else {
            "news_story"
        };
        return choice(
            "news_article",
            document_type,
            "a dated news page (path or title says news or press release)",
        );
    }
    if signals.data_attachments > 0 && signals.words < 400 {
        return choice(
            "statistical_data_set",
            "statistical_data_set",
            format!(
                "{} data file(s) and little commentary ({} words)",
                signals.data_attachments, signals.words
            ),
        );
    }
    if signals.numeric_tables > 0 && signals.words < 250 && signals.attachments == 0 {
        return choice(
            "statistical_data_set",
            "statistical_data_set",
            format!(
                "tables of figures and little commentary ({} words)",
                signals.words
            ),
        );
    }
    if signals.attachments > 0 && signals.words < 500 {
        let subtype = publication_subtype(&title, &path);
        return choice(
            "publication",
            subtype,
            format!(
                "a short introduction ({} words) to {} file(s)",
                signals.words, signals.attachments
            ),
        );
    }
    if signals.internal_links >= 8 && signals.words < signals.internal_links * 25 {
        return choice(
            "document_collection",
            "document_collection",
            format!(
                "an index of {} pages with little prose ({} words)",
                signals.internal_links, signals.words
            ),
        );
    }
    if signals.words >= 300 || signals.headings >= 2 {
        return choice(
            "detailed_guide",
            "detailed_guide",
            format!(
                "web-native guidance ({} words, {} headings)",
                signals.words, signals.headings
            ),
        );
    }
    choice(
        "detailed_guide",
        "detailed_guide",
        format!(
            "short page ({} words): guidance by default; consider merging it",
            signals.words
        ),
    )
}

fn publication_subtype(title: &str, path: &str) -> &'static str {
    let text = format!("{title} {path}");
    let rules: &[(&[&str], &str)] = &[
        (
            &["annual report", "accounts", "business plan"],
            "corporate_report",
        ),
        (&["freedom of information", "foi"], "foi_release"),
        (
            &[
                "statistic",
                "surveillance data",
                "quarterly data",
                "annual data",
            ],
            "official_statistics",
        ),
        (
            &["spend", "salar", "transparency", "organogram"],
            "transparency",
        ),
        (
            &[
                "research",
                "report",
                "evaluation",
                "study",
                "review",
                "survey",
            ],
            "research",
        ),
        (&["poster", "leaflet", "campaign"], "promotional"),
        (&["form"], "form"),
        (&["dear colleague", "letter", "bulletin"], "correspondence"),
    ];
    rules
        .iter()
        .find(|(words, _)| words.iter().any(|w| text.contains(w)))
        .map_or("guidance", |(_, t)| t)
}

/// The document type a schema takes when a rule names only the schema.
pub fn default_document_type(schema_name: &str) -> &'static str {
    match schema_name {
        "publication" => "guidance",
        "news_article" => "news_story",
        "consultation" => "closed_consultation",
        "corporate_information_page" => "about",
        "detailed_guide" => "detailed_guide",
        "statistical_data_set" => "statistical_data_set",
        "document_collection" => "document_collection",
        "case_study" => "case_study",
        _ => "detailed_guide",
    }
}

/// The schemas content items can be written for.
pub const SCHEMAS: &[&str] = &[
    "case_study",
    "consultation",
    "corporate_information_page",
    "detailed_guide",
    "document_collection",
    "news_article",
    "publication",
    "statistical_data_set",
];

/// Whitehall's base path for a document of this format.
pub fn base_path(choice: &Choice, slug: &str, organisation: &str) -> String {
    match choice.schema_name.as_str() {
        "detailed_guide" => format!("/guidance/{slug}"),
        "publication"
            if matches!(
                choice.document_type.as_str(),
                "official_statistics" | "national_statistics"
            ) =>
        {
            format!("/government/statistics/{slug}")
        }
        "publication" => format!("/government/publications/{slug}"),
        "statistical_data_set" => format!("/government/statistical-data-sets/{slug}"),
        "news_article" => format!("/government/news/{slug}"),
        "document_collection" => format!("/government/collections/{slug}"),
        "consultation" => format!("/government/consultations/{slug}"),
        "case_study" => format!("/government/case-studies/{slug}"),
        "corporate_information_page" => {
            format!("/government/organisations/{organisation}/about/{slug}")
        }
        _ => format!("/guidance/{slug}"),
    }
}

/// A Whitehall slug: lower-case ASCII words joined by hyphens, at most 150 bytes.
pub fn slug(title: &str) -> String {
    let ascii: String = title
        .replace('&', " and ")
        .nfkd()
        .filter(|c| c.is_ascii())
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let mut slug = String::new();
    for word in ascii.split_whitespace() {
        if slug.len() + word.len() + 1 > 150 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    if slug.is_empty() {
        "page".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Measles: guidance, data & analysis"),
            "measles-guidance-data-and-analysis"
        );
        assert_eq!(slug("Café Zoë – résumé"), "cafe-zoe-resume");
        assert_eq!(slug("!!!"), "page");
        assert!(slug(&"word ".repeat(100)).len() <= 150);
    }

    #[test]
    fn heuristics_in_order() {
        let page = |path, title, words, attachments, data| Signals {
            path,
            title,
            words,
            attachments,
            data_attachments: data,
            ..Signals::default()
        };
        assert_eq!(
            choose(&page("/news/2013/flu.htm", "Flu rises", 300, 0, 0), None).schema_name,
            "news_article"
        );
        assert_eq!(
            choose(&page("/data/obesity.aspx", "Obesity data", 80, 2, 2), None).schema_name,
            "statistical_data_set"
        );
        let publication = choose(&page("/pubs/x.htm", "Annual report 2012", 120, 1, 0), None);
        assert_eq!(
            (
                publication.schema_name.as_str(),
                publication.document_type.as_str()
            ),
            ("publication", "corporate_report")
        );
        assert_eq!(
            choose(
                &page("/about/complaints.htm", "Complaints", 100, 0, 0),
                None
            )
            .document_type,
            "complaints_procedure"
        );
        assert_eq!(
            choose(&page("/topics/measles.htm", "Measles", 900, 0, 0), None).schema_name,
            "detailed_guide"
        );
        let tables = |numeric_tables| Signals {
            path: "/x.htm",
            title: "X",
            words: 100,
            tables: 1,
            numeric_tables,
            ..Signals::default()
        };
        assert_eq!(choose(&tables(1), None).schema_name, "statistical_data_set");
        assert_eq!(choose(&tables(0), None).schema_name, "detailed_guide");
        let consultation = choose(&page("/consultations/a.htm", "A", 900, 0, 0), None);
        assert_eq!(consultation.document_type, "closed_consultation");
    }

    #[test]
    fn statistics_live_under_statistics() {
        let c = choice("publication", "official_statistics", "");
        assert_eq!(base_path(&c, "x", "phe"), "/government/statistics/x");
    }
}
