//! Data-richness: a transparent 0–100 score per page from its tables of figures, data
//! files, embedded tools and charts, query forms and JavaScript, with every point
//! explained; a tier; and a suggested route. Weights live in `mappings/audit.yml`
//! (`data_weights:`), defaulting to the values below.

use serde::Deserialize;

use crate::extract::facts::PageFacts;

/// Points per signal and the caps of each group.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub per_data_table: f64,
    pub numeric_cells_per_point: f64,
    pub tables_cap: f64,
    pub per_open_file: f64,
    pub per_spreadsheet: f64,
    pub per_zip: f64,
    pub per_pdf: f64,
    pub files_cap: f64,
    pub tool_embed: f64,
    pub chart_library: f64,
    pub flash_or_atlas: f64,
    pub visual_cap: f64,
    pub get_form: f64,
    pub query_variants: f64,
    /// How many query variants of one path make a database-driven page.
    pub query_variants_threshold: usize,
    pub js_app: f64,
    pub interact_cap: f64,
    pub light_from: f64,
    pub rich_from: f64,
    pub tool_from: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            per_data_table: 5.0,
            numeric_cells_per_point: 40.0,
            tables_cap: 25.0,
            per_open_file: 6.0,
            per_spreadsheet: 5.0,
            per_zip: 3.0,
            // A PDF counts only where it is known to hold tables, which a crawl cannot see.
            per_pdf: 0.0,
            files_cap: 30.0,
            tool_embed: 15.0,
            chart_library: 8.0,
            flash_or_atlas: 10.0,
            visual_cap: 25.0,
            get_form: 10.0,
            query_variants: 10.0,
            query_variants_threshold: 20,
            js_app: 5.0,
            interact_cap: 20.0,
            light_from: 5.0,
            rich_from: 40.0,
            tool_from: 70.0,
        }
    }
}

/// The tiers, least data first.
pub const TIERS: &[&str] = &["none", "light", "rich", "tool"];

/// A page's score, its tier and why.
#[derive(Clone, Debug, PartialEq)]
pub struct DataScore {
    pub score: u32,
    pub tier: &'static str,
    /// Each signal that scored, with its points, then any rule that lifted the tier.
    pub explain: Vec<String>,
}

/// Scores a page. `query_variants` is how many crawled URLs differ from it only in their
/// query string.
pub fn score(facts: &PageFacts, query_variants: usize, w: &Weights) -> DataScore {
    let mut explain = Vec::new();
    let mut add = |group_total: &mut f64, points: f64, why: String| {
        if points > 0.0 {
            *group_total += points;
            explain.push(format!("{why} +{}", fmt(points)));
        }
    };
    let mut tables = 0.0;
    add(
        &mut tables,
        w.per_data_table * facts.data_tables as f64,
        format!("{} data table(s)", facts.data_tables),
    );
    add(
        &mut tables,
        facts.numeric_cells as f64 / w.numeric_cells_per_point.max(1.0),
        format!("{} numeric cells", facts.numeric_cells),
    );
    let count = |exts: &[&str]| -> usize {
        facts
            .files
            .iter()
            .filter(|(e, _)| exts.contains(&e.as_str()))
            .map(|(_, n)| n)
            .sum()
    };
    let open = count(&["csv", "tsv", "ods", "json", "xml", "geojson", "kml"]);
    let sheets = count(&["xls", "xlsx", "xlsm", "sav", "dta"]);
    let zips = count(&["zip"]);
    let pdfs = count(&["pdf"]);
    let mut files = 0.0;
    add(
        &mut files,
        w.per_open_file * open as f64,
        format!("{open} open data file(s)"),
    );
    add(
        &mut files,
        w.per_spreadsheet * sheets as f64,
        format!("{sheets} spreadsheet(s)"),
    );
    add(
        &mut files,
        w.per_zip * zips as f64,
        format!("{zips} zip file(s)"),
    );
    add(
        &mut files,
        w.per_pdf * pdfs as f64,
        format!("{pdfs} PDF(s)"),
    );
    let embeds: Vec<&str> = facts
        .tools
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "Flash")
        .collect();
    let legacy_tech = facts.flash || facts.tools.iter().any(|t| t == "InstantAtlas");
    let mut visual = 0.0;
    if !embeds.is_empty() {
        add(
            &mut visual,
            w.tool_embed,
            format!("embedded {}", embeds.join(", ")),
        );
    }
    if !facts.charts.is_empty() {
        add(
            &mut visual,
            w.chart_library,
            format!("chart library {}", facts.charts.join(", ")),
        );
    }
    if legacy_tech {
        add(
            &mut visual,
            w.flash_or_atlas,
            "Flash or InstantAtlas".to_owned(),
        );
    }
    let mut interact = 0.0;
    if facts.get_forms > 0 {
        add(
            &mut interact,
            w.get_form,
            "query form with choices".to_owned(),
        );
    }
    if query_variants >= w.query_variants_threshold {
        add(
            &mut interact,
            w.query_variants,
            format!("{query_variants} query variants"),
        );
    }
    if facts.js_app {
        add(&mut interact, w.js_app, "JavaScript application".to_owned());
    }
    let capped = |v: f64, cap: f64, name: &str, explain: &mut Vec<String>| {
        if v > cap {
            explain.push(format!("{name} capped at {}", fmt(cap)));
        }
        v.min(cap)
    };
    let total = capped(tables, w.tables_cap, "tables", &mut explain)
        + capped(files, w.files_cap, "files", &mut explain)
        + capped(visual, w.visual_cap, "visual", &mut explain)
        + capped(interact, w.interact_cap, "interaction", &mut explain);
    let score = total.clamp(0.0, 100.0).round() as u32;
    let s = score as f64;
    let mut tier = if s >= w.tool_from {
        3
    } else if s >= w.rich_from {
        2
    } else if s >= w.light_from {
        1
    } else {
        0
    };
    // Hard rules, as the audit notes define them: any tool makes at least "rich"; an
    // interactive tool (embedded dashboard, Flash, InstantAtlas) is a "tool" page.
    let data_files = open + sheets;
    let rich_because = if !embeds.is_empty() {
        Some("an embedded tool")
    } else if data_files >= 3 {
        Some("3 or more data files")
    } else if facts.largest_table_cells >= 50 {
        Some("a table of 50 or more figures")
    } else if facts.data_tables > 0 && data_files > 0 {
        Some("a table of figures with its data to download")
    } else {
        None
    };
    if tier < 2
        && let Some(why) = rich_because
    {
        tier = 2;
        explain.push(format!("rich: {why}"));
    }
    if tier < 3 && (!embeds.is_empty() || legacy_tech) {
        tier = 3;
        explain.push("tool: the page is an interactive tool".into());
    }
    DataScore {
        score,
        tier: TIERS[tier],
        explain,
    }
}

fn fmt(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// What to do with a data page (a person confirms): the notes' five routes, in order.
pub fn route(facts: &PageFacts, tier: &str, hits: u64, stale: bool) -> &'static str {
    match tier {
        "none" => "",
        _ if facts.fingertips_links > 0 || facts.statistical_terms >= 3 => "hand_to_fingertips",
        "tool" if facts.flash || (hits == 0 && stale) => "archive",
        "tool" => "rebuild_tool",
        _ if stale && hits == 0 => "archive",
        _ if facts.statistical_terms > 0 || facts.data_files() > 0 => "migrate_as_statistics",
        _ => "migrate_as_publication",
    }
}
