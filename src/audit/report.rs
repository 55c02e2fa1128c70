//! Writes a site's audit (and an estate's, across sites) as CSV with stable snake_case
//! headers, Markdown, and a self-contained HTML report with SVG charts. Every cell that
//! came from a legacy page is escaped for where it goes: CSV cells that a spreadsheet would
//! run as a formula are quoted with a leading apostrophe, HTML is escaped.

use std::fmt::Write as _;

use super::{InventoryRow, SiteAudit, data::TIERS};
use crate::redirects::bouncer::escape_html;

/// The files of a site's audit folder, by name.
pub type Files = Vec<(&'static str, Vec<u8>)>;

pub use crate::csv_cell::cell;

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(header);
    for row in rows {
        let _ = out.write_record(row.iter().map(|c| cell(c).into_owned()));
    }
    out.into_inner().unwrap_or_default()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub const INVENTORY_HEADER: &[&str] = &[
    "site",
    "url",
    "canonical_key",
    "status",
    "kind",
    "title",
    "title_len",
    "description_len",
    "h1",
    "word_count",
    "sentences",
    "avg_words_per_sentence",
    "flesch_reading_ease",
    "reading_time_min",
    "published",
    "updated",
    "newest_year",
    "stale",
    "depth",
    "inlinks",
    "outlinks_int",
    "outlinks_ext",
    "broken_outlinks",
    "in_sitemap",
    "is_orphan",
    "exact_dup_group",
    "near_dup_group",
    "near_dup_similarity",
    "pdf_count",
    "doc_count",
    "spreadsheet_count",
    "csv_count",
    "data_file_count",
    "data_score",
    "data_tier",
    "hits",
    "need_ids",
    "outcome",
    "new_url",
    "disposition",
    "accessibility",
    "audit_suggestions",
];

pub const DATA_HEADER: &[&str] = &[
    "site",
    "url",
    "data_score",
    "tier",
    "explain",
    "data_tables",
    "numeric_cells",
    "files_by_format",
    "embeds",
    "chart_libs",
    "get_forms",
    "param_variants",
    "js_app",
    "fingertips_links",
    "hits",
    "priority",
    "suggested_route",
    "disposition",
];

pub const GAPS_HEADER: &[&str] = &[
    "gap_code",
    "severity",
    "site",
    "url",
    "need_id",
    "hits",
    "data_tier",
    "detail",
    "suggested_action",
];

pub const NEEDS_HEADER: &[&str] = &[
    "need_id",
    "role",
    "goal",
    "benefit",
    "status",
    "impact",
    "justifications",
    "met_when_count",
    "legacy_pages",
    "legacy_hits",
    "targets",
    "targets_existing",
    "met",
    "gap_codes",
];

pub const ATTACHMENTS_HEADER: &[&str] = &[
    "site",
    "file_url",
    "linked_from_count",
    "first_linked_from",
    "extension",
    "mime",
    "bytes",
    "last_modified",
    "open_format",
    "stars",
    "after_2018_09_23",
    "must_be_accessible",
    "hits",
];

pub const SUMMARY_HEADER: &[&str] = &[
    "site",
    "host",
    "pages",
    "attachments",
    "redirect",
    "archive",
    "unresolved",
    "not_found",
    "pct_unresolved",
    "needs",
    "needs_met_pct",
    "data_rich_pct",
    "data_verdict",
    "gaps_high",
    "tna_timestamp",
    "global_type",
    "coverage_paths_pct",
    "coverage_hits_pct",
    "accessibility_pages",
    "files_that_must_be_accessible",
];

fn pct(a: f64) -> String {
    format!("{a:.1}")
}

fn summary_row(a: &SiteAudit) -> Vec<String> {
    let count = |k: &str| a.outcomes.get(k).copied().unwrap_or(0);
    let known = a.coverage.1.max(1);
    vec![
        a.site.clone(),
        a.host.clone(),
        a.pages().to_string(),
        a.attachments.len().to_string(),
        (count("redirect")
            + if a.global.starts_with("=301") {
                count("global")
            } else {
                0
            })
        .to_string(),
        (count("archive")
            + if a.global.starts_with("=410") {
                count("global")
            } else {
                0
            })
        .to_string(),
        count("unresolved").to_string(),
        count("not_found").to_string(),
        pct(count("unresolved") as f64 * 100.0 / known as f64),
        a.needs.len().to_string(),
        a.needs_met_pct().map(pct).unwrap_or_default(),
        pct(a.data_rich_pct()),
        a.data_verdict().to_owned(),
        a.blocking_gaps().to_string(),
        a.tna_timestamp.clone(),
        match a.global.get(..4) {
            Some("=301") => "redirect".into(),
            Some("=410") => "archive".into(),
            _ => String::new(),
        },
        pct(a.coverage.0 as f64 * 100.0 / known as f64),
        a.hit_coverage
            .map(|(d, t)| pct(d as f64 * 100.0 / t.max(1) as f64))
            .unwrap_or_default(),
        a.inventory
            .iter()
            .filter(|r| !r.accessibility.is_empty())
            .count()
            .to_string(),
        a.attachments
            .iter()
            .filter(|(f, _, after, _)| *after && !f.used_on.is_empty())
            .count()
            .to_string(),
    ]
}

/// The files for one site.
pub fn site_files(a: &SiteAudit) -> Files {
    let inventory: Vec<Vec<String>> = a
        .inventory
        .iter()
        .map(|r| {
            let f = r.facts.as_ref();
            let files = |exts: &[&str]| -> String {
                f.map(|f| {
                    f.files
                        .iter()
                        .filter(|(e, _)| exts.contains(&e.as_str()))
                        .map(|(_, n)| n)
                        .sum::<usize>()
                        .to_string()
                })
                .unwrap_or_default()
            };
            vec![
                a.site.clone(),
                r.url.clone(),
                r.key.clone(),
                opt(r.status),
                r.kind.clone(),
                r.title.clone(),
                f.map(|_| r.title.chars().count().to_string())
                    .unwrap_or_default(),
                f.map(|_| r.description_len.to_string()).unwrap_or_default(),
                r.h1.clone(),
                opt(f.map(|f| f.words)),
                opt(f.map(|f| f.sentences)),
                f.filter(|f| f.sentences > 0)
                    .map(|f| format!("{:.1}", f.words as f64 / f.sentences as f64))
                    .unwrap_or_default(),
                f.and_then(|f| f.flesch())
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_default(),
                opt(f.map(|f| f.reading_minutes())),
                r.published.clone(),
                r.updated.clone(),
                opt(r.newest_year),
                if f.is_some() {
                    r.stale.to_string()
                } else {
                    String::new()
                },
                opt(r.depth),
                r.crawled.inlinks.to_string(),
                r.crawled.outlinks_internal.to_string(),
                r.crawled.outlinks_external.to_string(),
                r.crawled.broken_outlinks.to_string(),
                r.in_sitemap.to_string(),
                r.orphan.to_string(),
                r.exact_dup_group.clone(),
                r.near_dup_group.clone(),
                if r.near_dup_group.is_empty() {
                    String::new()
                } else {
                    format!("{:.2}", r.near_dup_similarity)
                },
                files(&["pdf"]),
                files(&["doc", "docx", "odt", "rtf"]),
                files(&["xls", "xlsx", "xlsm", "ods"]),
                files(&["csv", "tsv"]),
                opt(f.map(|f| f.data_files())),
                opt(r.data.as_ref().map(|d| d.score)),
                r.data
                    .as_ref()
                    .map(|d| d.tier.to_owned())
                    .unwrap_or_default(),
                r.hits.to_string(),
                r.needs.join(" "),
                r.outcome.to_owned(),
                r.new_url.clone(),
                r.disposition.clone(),
                r.accessibility.join("; "),
                r.suggestions.join(";"),
            ]
        })
        .collect();
    let max_hits = a.inventory.iter().map(|r| r.hits).max().unwrap_or(0).max(1);
    let mut data_rows: Vec<(f64, Vec<String>)> = a
        .inventory
        .iter()
        .filter_map(|r| {
            let d = r.data.as_ref()?;
            let f = r.facts.as_ref()?;
            if d.tier == "none" {
                return None;
            }
            // Score × demand: hits on a 1–2 scale, so pages nobody measured still rank.
            let priority = d.score as f64 * (1.0 + r.hits as f64 / max_hits as f64);
            Some((
                priority,
                vec![
                    a.site.clone(),
                    r.url.clone(),
                    d.score.to_string(),
                    d.tier.to_owned(),
                    d.explain.join("; "),
                    f.data_tables.to_string(),
                    f.numeric_cells.to_string(),
                    f.files
                        .iter()
                        .map(|(e, n)| format!("{e}:{n}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    f.tools.join(" "),
                    f.charts.join(" "),
                    f.get_forms.to_string(),
                    r.crawled.query_variants.to_string(),
                    f.js_app.to_string(),
                    f.fingertips_links.to_string(),
                    r.hits.to_string(),
                    format!("{priority:.1}"),
                    r.route.to_owned(),
                    r.disposition.clone(),
                ],
            ))
        })
        .collect();
    data_rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1[1].cmp(&b.1[1])));
    let gaps = a
        .gaps
        .iter()
        .map(|g| {
            vec![
                g.code.to_owned(),
                g.severity.to_owned(),
                a.site.clone(),
                g.url.clone(),
                g.need.clone(),
                g.hits.to_string(),
                g.tier.clone(),
                g.detail.clone(),
                g.action.to_owned(),
            ]
        })
        .collect();
    let needs = a
        .needs
        .iter()
        .map(|n| {
            vec![
                n.need.id.clone(),
                n.need.role.clone(),
                n.need.goal.clone(),
                n.need.benefit.clone(),
                n.need.status.clone(),
                n.need.impact_name().to_owned(),
                n.need.justifications.join("; "),
                n.need.met_when.len().to_string(),
                n.legacy_pages.to_string(),
                n.legacy_hits.to_string(),
                n.need
                    .targets
                    .iter()
                    .map(|t| t.url.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                n.targets_existing.to_string(),
                n.met.to_string(),
                n.gaps.join(" "),
            ]
        })
        .collect();
    let attachments = a
        .attachments
        .iter()
        .map(|(f, stars, after, hits)| {
            let ext = super::extension_of(&f.filename);
            vec![
                a.site.clone(),
                f.url.clone(),
                f.used_on.len().to_string(),
                f.used_on.first().cloned().unwrap_or_default(),
                ext.clone(),
                f.content_type.clone(),
                opt(f.size),
                f.last_modified.clone().unwrap_or_default(),
                (*stars >= 3).to_string(),
                stars.to_string(),
                after.to_string(),
                (*after && !f.used_on.is_empty()).to_string(),
                hits.to_string(),
            ]
        })
        .collect();
    vec![
        ("inventory.csv", csv_bytes(INVENTORY_HEADER, inventory)),
        (
            "data_pages.csv",
            csv_bytes(DATA_HEADER, data_rows.into_iter().map(|(_, r)| r).collect()),
        ),
        ("gaps.csv", csv_bytes(GAPS_HEADER, gaps)),
        ("needs.csv", csv_bytes(NEEDS_HEADER, needs)),
        (
            "attachments.csv",
            csv_bytes(ATTACHMENTS_HEADER, attachments),
        ),
        (
            "site_summary.csv",
            csv_bytes(SUMMARY_HEADER, vec![summary_row(a)]),
        ),
        ("report.md", markdown(std::slice::from_ref(a)).into_bytes()),
        ("report.html", html(std::slice::from_ref(a)).into_bytes()),
    ]
}

/// The files for a batch of sites: their summaries side by side and the estate report.
pub fn estate_files(audits: &[SiteAudit]) -> Files {
    vec![
        (
            "site_summary.csv",
            csv_bytes(SUMMARY_HEADER, audits.iter().map(summary_row).collect()),
        ),
        ("report.md", markdown(audits).into_bytes()),
        ("report.html", html(audits).into_bytes()),
    ]
}

/// A table cell's text that Markdown shows as written: no markup, links, code or emphasis
/// from what a legacy URL or a mapping holds, and no cell boundary.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '<' | '>' | '`' | '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The report a migration lead reads first, in the order the notes give.
pub fn markdown(audits: &[SiteAudit]) -> String {
    let mut out = String::new();
    let title = if audits.len() == 1 {
        format!("Migration audit: {}", audits[0].site)
    } else {
        format!("Migration audit: {} sites", audits.len())
    };
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(
        out,
        "| site | pages | redirect | archive | unresolved | needs met | data-rich | verdict | high gaps | coverage (paths) | coverage (traffic) |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
    );
    for a in audits {
        let r = summary_row(a);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {}% | {} | {} | {}% | {} |",
            r[0],
            r[2],
            r[4],
            r[5],
            r[6],
            if r[10].is_empty() {
                "–".into()
            } else {
                format!("{}%", r[10])
            },
            r[11],
            r[12],
            r[13],
            r[16],
            if r[17].is_empty() {
                "–".into()
            } else {
                format!("{}%", r[17])
            },
        );
    }
    for a in audits {
        let _ = writeln!(out, "\n## {}\n", a.site);
        let mut unresolved: Vec<_> = a
            .inventory
            .iter()
            .filter(|r| r.outcome == "unresolved")
            .collect();
        unresolved.sort_by(|x, y| y.hits.cmp(&x.hits).then(x.key.cmp(&y.key)));
        let (ranked, total) = ranked_by_requests(a);
        if total > 0 {
            let _ = writeln!(
                out,
                "### Most requested URLs\n\n| hits | share | url | goes to |\n| ---: | ---: | --- | --- |"
            );
            for r in ranked.iter().take(MOST_REQUESTED_SHOWN) {
                let _ = writeln!(
                    out,
                    "| {} | {:.1}% | {} | {} |",
                    r.hits,
                    share_percent(r.hits, total),
                    md_escape(&r.url),
                    goes_to(r).map_or_else(|| format!("**{NO_DECISION}**"), |to| md_escape(&to))
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "### Unresolved URLs by traffic (they become 410s at switch-over)\n"
        );
        if unresolved.is_empty() {
            let _ = writeln!(out, "None.");
        } else {
            let _ = writeln!(out, "| hits | url |\n| ---: | --- |");
            for r in unresolved.iter().take(25) {
                let _ = writeln!(out, "| {} | {} |", r.hits, md_escape(&r.url));
            }
        }
        for (title, codes) in [
            ("Unmet needs", &["G1", "G2", "G3"][..]),
            ("Broken or missing targets", &["G6"]),
            ("Popular archived pages", &["G7"]),
            ("Data pages without a route", &["G10"]),
            (
                "Requested URLs without a decision, and orphans",
                &["G8", "G9"],
            ),
            ("Duplicates", &["G5"]),
        ] {
            let rows: Vec<_> = a.gaps.iter().filter(|g| codes.contains(&g.code)).collect();
            let _ = writeln!(out, "\n### {title}\n");
            if rows.is_empty() {
                let _ = writeln!(out, "None.");
                continue;
            }
            let _ = writeln!(
                out,
                "| gap | severity | url or need | hits | detail | action |\n| --- | --- | --- | ---: | --- | --- |"
            );
            for g in rows.iter().take(25) {
                let what = if g.url.is_empty() { &g.need } else { &g.url };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    g.code,
                    g.severity,
                    md_escape(what),
                    g.hits,
                    md_escape(&g.detail),
                    g.action
                );
            }
            if rows.len() > 25 {
                let _ = writeln!(out, "\n… and {} more in gaps.csv.", rows.len() - 25);
            }
        }
        let accessibility = a
            .inventory
            .iter()
            .filter(|r| !r.accessibility.is_empty())
            .count();
        let _ = writeln!(
            out,
            "\n### Accessibility\n\n{accessibility} page(s) with problems; {} attachment(s) published after 23 September 2018 that must be accessible. See inventory.csv (`accessibility`) and attachments.csv.",
            a.attachments.iter().filter(|x| x.2).count()
        );
    }
    out
}

const COLOURS: &[(&str, &str)] = &[
    ("redirect", "#00703c"),
    ("archive", "#505a5f"),
    ("unresolved", "#d4351c"),
    ("not_found", "#b1b4b6"),
    ("global", "#1d70b8"),
];

/// One coloured part of a bar: its name, value and colour.
type Segment = (String, f64, &'static str);
/// A labelled bar.
type BarRow = (String, Vec<Segment>);

fn svg_bars(title: &str, rows: &[BarRow]) -> String {
    let width = 640.0;
    let label_w = 170.0;
    let bar_h = 22.0;
    let height = 40.0 + rows.len() as f64 * (bar_h + 8.0) + 30.0;
    let max: f64 = rows
        .iter()
        .map(|(_, parts)| parts.iter().map(|p| p.1).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0);
    let mut svg = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"><title>{t}</title>",
        t = escape_html(title)
    );
    let mut legend: Vec<(String, &'static str)> = Vec::new();
    for (i, (label, parts)) in rows.iter().enumerate() {
        let y = 30.0 + i as f64 * (bar_h + 8.0);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.0}\" font-size=\"13\">{}</text>",
            y + 15.0,
            escape_html(label)
        );
        let mut x = label_w;
        for (name, value, colour) in parts {
            let w = value / max * (width - label_w - 60.0);
            if w > 0.0 {
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"{colour}\"><title>{}: {value}</title></rect>",
                    escape_html(name)
                );
            }
            x += w;
            if !legend.iter().any(|(n, _)| n == name) {
                legend.push((name.clone(), colour));
            }
        }
        let total: f64 = parts.iter().map(|p| p.1).sum();
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            x + 4.0,
            y + 15.0,
            total
        );
    }
    // A legend tells series apart: one series (its bars coloured by row, if at all) needs
    // none, and a lone swatch in one row's colour would mislabel the others.
    if legend.len() < 2 {
        legend.clear();
    }
    let mut lx = 0.0;
    for (name, colour) in legend {
        let _ = write!(
            svg,
            "<rect x=\"{lx}\" y=\"{:.0}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{:.0}\" font-size=\"12\">{}</text>",
            height - 18.0,
            lx + 16.0,
            height - 8.0,
            escape_html(&name)
        );
        lx += 24.0 + name.len() as f64 * 7.0;
    }
    svg.push_str("</svg>");
    let _ = write!(
        svg,
        "<figcaption>{}</figcaption></figure>",
        escape_html(title)
    );
    svg
}

/// The Pareto chart, or, when no site has traffic, what to import (an empty frame would
/// only suggest nobody visits). `hits` holds every URL of the sites with traffic, most
/// requested first, so that the URLs nobody asked for show as the flat end of the line,
/// and the sentence under it says how few URLs carry most requests: those redirects
/// must be right on the day.
fn svg_pareto(title: &str, hits: &[u64], site: &str) -> String {
    let (width, height) = (640.0, 230.0);
    let total: u64 = hits.iter().sum();
    if total == 0 {
        return format!(
            "<figure><p>No traffic imported: <code>phe-migrate import hits {} FILE...</code> adds access logs, Transition hits CSVs or analytics pageviews, and the next audit ranks pages by requests (or pass <code>--hits FILE</code> to <code>report audit</code>).</p><figcaption>{}</figcaption></figure>",
            escape_html(site),
            escape_html(title)
        );
    }
    let (left, top, plot_width, plot_height) = (48.0, 10.0, 572.0, 180.0);
    let x_of = |urls: usize| left + urls as f64 / hits.len() as f64 * plot_width;
    let y_of = |share: f64| top + plot_height - share * plot_height;
    let mut svg = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"><title>{t}</title><rect x=\"{left}\" y=\"{top}\" width=\"{plot_width}\" height=\"{plot_height}\" fill=\"none\" stroke=\"#b1b4b6\"/>",
        t = escape_html(title)
    );
    for (share, label) in [(0.0, "0%"), (0.5, "50%"), (0.8, "80%"), (1.0, "100%")] {
        let y = y_of(share);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{label}</text>",
            left - 4.0,
            y + 4.0
        );
        if share > 0.0 && share < 1.0 {
            let _ = write!(
                svg,
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#dee0e2\" stroke-dasharray=\"4 3\"/>",
                left + plot_width
            );
        }
    }
    let mut points = String::new();
    let mut running = 0;
    let mut carrying_most = hits.len();
    for (i, h) in hits.iter().enumerate() {
        running += h;
        if carrying_most == hits.len() && running * 5 >= total * 4 {
            carrying_most = i + 1;
        }
        let _ = write!(
            points,
            "{:.1},{:.1} ",
            x_of(i + 1),
            y_of(running as f64 / total as f64)
        );
    }
    let _ = write!(
        svg,
        "<polyline points=\"{left},{} {points}\" fill=\"none\" stroke=\"#1d70b8\" stroke-width=\"2\"/>",
        top + plot_height
    );
    let x = x_of(carrying_most);
    let _ = write!(
        svg,
        "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#d4351c\" stroke-dasharray=\"4 3\"/>",
        top + plot_height
    );
    let unrequested = hits.iter().filter(|h| **h == 0).count();
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"210\" font-size=\"12\">{} URLs, most requested first; line: share of {} requests; red: 80% of them</text></svg>",
        hits.len(),
        total
    );
    let _ = write!(
        svg,
        "<p>{} of {} URLs carry 80% of the {} requests; {} had none.</p><figcaption>{}</figcaption></figure>",
        carrying_most,
        hits.len(),
        total,
        unrequested,
        escape_html(title)
    );
    svg
}

/// How many of the most requested URLs the reports list.
const MOST_REQUESTED_SHOWN: usize = 10;

/// The site's requested URLs, most requested first (ties by URL), and all requests.
fn ranked_by_requests(audit: &SiteAudit) -> (Vec<&InventoryRow>, u64) {
    let total: u64 = audit.inventory.iter().map(|r| r.hits).sum();
    let mut ranked: Vec<_> = audit.inventory.iter().filter(|r| r.hits > 0).collect();
    ranked.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.url.cmp(&b.url)));
    (ranked, total)
}

/// A URL's share of all requests, in percent.
fn share_percent(hits: u64, total: u64) -> f64 {
    hits as f64 * 100.0 / total as f64
}

/// Where a requested URL goes at switch-over, in words; `None` for no decision yet.
fn goes_to(row: &InventoryRow) -> Option<String> {
    Some(match row.outcome {
        "redirect" => row.new_url.clone(),
        "archive" => "its copy in the UK Government Web Archive (410)".to_owned(),
        "unresolved" => return None,
        "not_found" => "404: the legacy site answered that it is no page".to_owned(),
        "global" if !row.new_url.is_empty() => format!("{} (the site's global rule)", row.new_url),
        other => other.to_owned(),
    })
}

const NO_DECISION: &str = "no decision yet (410 at switch-over)";

/// The URLs most requested, with what each becomes: the few that carry most traffic must
/// be right on the day, so an unresolved one among them shows here, not only in gaps.csv.
/// Empty for a site without traffic.
fn most_requested(audit: &SiteAudit) -> String {
    let (ranked, total) = ranked_by_requests(audit);
    if total == 0 {
        return String::new();
    }
    let mut html = format!(
        "<h2>{}: most requested URLs</h2><table><thead><tr><th>hits</th><th>share</th><th>url</th><th>outcome</th><th>goes to</th></tr></thead><tbody>",
        escape_html(&audit.site)
    );
    for row in ranked.iter().take(MOST_REQUESTED_SHOWN) {
        let goes_to = goes_to(row).map_or_else(
            || format!("<strong>{NO_DECISION}</strong>"),
            |to| escape_html(&to),
        );
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{:.1}%</td><td class=\"url\">{}</td><td>{}</td><td class=\"url\">{goes_to}</td></tr>",
            row.hits,
            share_percent(row.hits, total),
            escape_html(&row.url),
            row.outcome,
        );
    }
    html.push_str("</tbody></table>");
    if ranked.len() > MOST_REQUESTED_SHOWN {
        let _ = write!(
            html,
            "<p>{MOST_REQUESTED_SHOWN} of {} requested URLs; all are in {}/audit/inventory.csv (its <code>hits</code> column).</p>",
            ranked.len(),
            escape_html(&audit.site)
        );
    }
    html
}

/// A tile's count of high gaps, read as English: "1 high gap", "4 high gaps".
fn high_gaps(count: &str) -> String {
    let noun = if count == "1" { "gap" } else { "gaps" };
    format!("<strong>{count}</strong> high {noun}")
}

/// The self-contained HTML report: tiles, charts and the first tables.
pub fn html(audits: &[SiteAudit]) -> String {
    let title = if audits.len() == 1 {
        format!("Migration audit: {}", audits[0].site)
    } else {
        format!("Migration audit: {} sites", audits.len())
    };
    let mut body = String::new();
    let _ = write!(body, "<h1>{}</h1>", escape_html(&title));
    body.push_str("<section class=\"tiles\">");
    for a in audits {
        let r = summary_row(a);
        let _ = write!(
            body,
            "<div class=\"tile\"><h2>{}</h2><p><strong>{}</strong> pages</p><p><strong>{}%</strong> of paths decided</p><p><strong>{}</strong> unresolved</p><p>needs met: <strong>{}</strong></p><p><strong>{}%</strong> data-rich ({})</p><p>{}</p><p>web archive: {}</p></div>",
            escape_html(&a.site),
            r[2],
            r[16],
            r[6],
            if r[10].is_empty() {
                "–".to_owned()
            } else {
                format!("{}%", r[10])
            },
            r[11],
            r[12],
            high_gaps(&r[13]),
            escape_html(&a.tna_timestamp)
        );
    }
    body.push_str("</section>");
    let outcome_rows: Vec<BarRow> = audits
        .iter()
        .map(|a| {
            (
                a.site.clone(),
                COLOURS
                    .iter()
                    .map(|(k, c)| {
                        (
                            k.to_string(),
                            a.outcomes.get(k).copied().unwrap_or(0) as f64,
                            *c,
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    body.push_str(&svg_bars("Outcomes per site", &outcome_rows));
    let needs_rows: Vec<_> = audits
        .iter()
        .map(|a| {
            let met = a.needs.iter().filter(|n| n.met).count() as f64;
            (
                a.site.clone(),
                vec![
                    ("met".to_owned(), met, "#00703c"),
                    ("unmet".to_owned(), a.needs.len() as f64 - met, "#d4351c"),
                ],
            )
        })
        .collect();
    if audits.iter().all(|a| a.needs.is_empty()) {
        // An empty chart would only suggest that no need is met.
        let mappings: Vec<String> = audits
            .iter()
            .map(|a| format!("<code>mappings/{}.yml</code>", escape_html(&a.site)))
            .collect();
        body.push_str(&format!(
            "<figure><p>No user needs recorded: add <code>needs:</code> (role, goal, benefit) to {} and name them on pages and sections, and the next audit shows which are met.</p><figcaption>User needs met</figcaption></figure>",
            mappings.join(", ")
        ));
    } else {
        body.push_str(&svg_bars("User needs met", &needs_rows));
    }
    let tier_colours = ["#b1b4b6", "#5694ca", "#1d70b8", "#003078"];
    let tier_rows: Vec<_> = audits
        .iter()
        .map(|a| {
            let parts = TIERS
                .iter()
                .zip(tier_colours)
                .map(|(t, c)| {
                    (
                        t.to_string(),
                        a.inventory
                            .iter()
                            .filter(|r| r.data.as_ref().is_some_and(|d| d.tier == *t))
                            .count() as f64,
                        c,
                    )
                })
                .collect();
            (a.site.clone(), parts)
        })
        .collect();
    body.push_str(&svg_bars("Pages by data tier", &tier_rows));
    let mut hits: Vec<u64> = audits
        .iter()
        .filter(|a| a.inventory.iter().any(|r| r.hits > 0))
        .flat_map(|a| a.inventory.iter().map(|r| r.hits))
        .collect();
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let site = match audits {
        [one] => one.site.as_str(),
        _ => "SITE",
    };
    body.push_str(&svg_pareto(
        "Traffic: share of requests by URL (Pareto)",
        &hits,
        site,
    ));
    let mut years: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    for a in audits {
        for y in a.inventory.iter().filter_map(|r| r.newest_year) {
            *years.entry(y).or_insert(0) += 1;
        }
    }
    let age_rows: Vec<_> = years
        .iter()
        .map(|(y, n)| {
            (
                y.to_string(),
                vec![("pages".to_owned(), *n as f64, "#1d70b8")],
            )
        })
        .collect();
    body.push_str(&svg_bars("Content age: pages by newest date", &age_rows));
    let star_colours = ["#b1b4b6", "#d4351c", "#f47738", "#00703c"];
    let star_rows: Vec<_> = (1..=3u8)
        .map(|s| {
            let n = audits
                .iter()
                .flat_map(|a| a.attachments.iter())
                .filter(|x| x.1 == s)
                .count() as f64;
            (
                format!(
                    "{s}★ ({})",
                    match s {
                        1 => "PDF, Word",
                        2 => "Excel, zip",
                        _ => "CSV, ODS, open",
                    }
                ),
                vec![("attachments".to_owned(), n, star_colours[s as usize])],
            )
        })
        .collect();
    body.push_str(&svg_bars("Attachment formats by openness", &star_rows));
    const SHOWN_GAPS: usize = 40;
    for a in audits {
        body.push_str(&most_requested(a));
        let _ = write!(
            body,
            "<h2>{}: gaps to act on first</h2>",
            escape_html(&a.site)
        );
        let urgent = a.gaps.iter().filter(|g| g.severity != "low").count();
        let low = a.gaps.len() - urgent;
        // An empty table would read as "nothing to do"; say what there is, and where.
        if urgent == 0 {
            let _ = write!(
                body,
                "<p>No high or medium gaps; {low} low one(s) in {}/audit/gaps.csv.</p>",
                escape_html(&a.site)
            );
            continue;
        }
        if urgent > SHOWN_GAPS || low > 0 {
            let _ = write!(
                body,
                "<p>{} of {urgent} high or medium gaps; all {} gaps are in {}/audit/gaps.csv.</p>",
                urgent.min(SHOWN_GAPS),
                a.gaps.len(),
                escape_html(&a.site)
            );
        }
        body.push_str("<table><thead><tr><th>gap</th><th>severity</th><th>url or need</th><th>hits</th><th>detail</th><th>action</th></tr></thead><tbody>");
        for g in a
            .gaps
            .iter()
            .filter(|g| g.severity != "low")
            .take(SHOWN_GAPS)
        {
            let what = if g.url.is_empty() { &g.need } else { &g.url };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td class=\"url\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                g.code,
                g.severity,
                escape_html(what),
                g.hits,
                escape_html(&g.detail),
                escape_html(g.action)
            );
        }
        body.push_str("</tbody></table>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{font-family:arial,sans-serif;margin:24px;color:#0b0c0c;max-width:1000px}}.tiles{{display:flex;flex-wrap:wrap;gap:12px}}.tile{{border:1px solid #b1b4b6;padding:8px 14px;min-width:200px}}.tile p{{margin:4px 0}}table{{border-collapse:collapse;margin:12px 0;font-size:14px}}td,th{{border:1px solid #b1b4b6;padding:4px 6px;text-align:left;vertical-align:top}}td.url{{overflow-wrap:anywhere;min-width:14em}}figure{{margin:18px 0}}</style></head><body>{body}</body></html>\n",
        escape_html(&title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, parts: &[(&str, f64, &'static str)]) -> BarRow {
        (
            label.to_owned(),
            parts
                .iter()
                .map(|(name, value, colour)| (name.to_string(), *value, *colour))
                .collect(),
        )
    }

    #[test]
    fn a_tile_counts_gaps_in_english() {
        assert_eq!(high_gaps("1"), "<strong>1</strong> high gap");
        assert_eq!(high_gaps("0"), "<strong>0</strong> high gaps");
        assert_eq!(high_gaps("4"), "<strong>4</strong> high gaps");
    }

    #[test]
    fn a_legend_is_drawn_only_to_tell_series_apart() {
        // One series, each row in a colour of its own (the attachments' stars): no legend
        // swatch in the first row's colour for all of them.
        let stars = svg_bars(
            "Attachment formats by openness",
            &[
                row("1★", &[("attachments", 3.0, "#d4351c")]),
                row("3★", &[("attachments", 1.0, "#00703c")]),
            ],
        );
        assert!(!stars.contains(">attachments</text>"), "{stars}");
        let outcomes = svg_bars(
            "Outcomes per site",
            &[row(
                "demo_x",
                &[("redirect", 5.0, "#00703c"), ("archive", 2.0, "#505a5f")],
            )],
        );
        assert!(outcomes.contains(">redirect</text>"), "{outcomes}");
        assert!(outcomes.contains(">archive</text>"), "{outcomes}");
    }
}
