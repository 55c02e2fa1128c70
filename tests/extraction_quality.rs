//! Main-content extraction on 130 real pages (Mozilla Readability's test pages, in
//! fixtures/readability): token F1 of our text against what Readability extracts, and title
//! accuracy. `PHE_WRITE_QUALITY=1` writes the report to bench/EXTRACTION.md.

use std::collections::HashMap;
use std::path::Path;

use phe_migrate::extract::content::{self, ContentRules};
use scraper::Html;

fn tokens(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for token in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        *bag.entry(token.to_lowercase()).or_insert(0) += 1;
    }
    bag
}

fn f1(ours: &str, expected: &str) -> (f64, f64, f64) {
    let (a, b) = (tokens(ours), tokens(expected));
    let overlap: usize = a
        .iter()
        .map(|(t, n)| (*n).min(b.get(t).copied().unwrap_or(0)))
        .sum();
    let (na, nb) = (a.values().sum::<usize>(), b.values().sum::<usize>());
    if na == 0 && nb == 0 {
        return (1.0, 1.0, 1.0);
    }
    if overlap == 0 {
        return (0.0, 0.0, 0.0);
    }
    let precision = overlap as f64 / na as f64;
    let recall = overlap as f64 / nb as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall),
    )
}

fn normalise_title(t: &str) -> String {
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[test]
fn extraction_quality_on_real_pages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/readability");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let rules = ContentRules::default();
    let mut rows = Vec::new();
    for name in &names {
        let page = dir.join(name);
        let source = std::fs::read_to_string(page.join("source.html")).unwrap();
        let expected_html = std::fs::read_to_string(page.join("expected.html")).unwrap();
        let metadata: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(page.join("expected-metadata.json")).unwrap(),
        )
        .unwrap();
        let document = Html::parse_document(&source);
        let extracted = content::extract(&document, &rules, None);
        let main = scraper::ElementRef::wrap(document.tree.get(extracted.main).unwrap()).unwrap();
        // The heading that became the title is part of Readability's text too.
        let mut skip = extracted.skip.clone();
        skip.retain(|id| {
            document
                .tree
                .get(*id)
                .and_then(|n| n.value().as_element())
                .is_none_or(|e| e.name() != "h1")
        });
        let ours = content::visible_text(main, &skip);
        let expected_doc = Html::parse_fragment(&expected_html);
        let expected = content::visible_text(expected_doc.root_element(), &Default::default());
        let (p, r, f) = f1(&ours, &expected);
        let want_title = metadata["title"].as_str().unwrap_or_default();
        let title_ok = normalise_title(&extracted.title) == normalise_title(want_title);
        rows.push((
            name.clone(),
            p,
            r,
            f,
            title_ok,
            extracted.title.clone(),
            want_title.to_owned(),
        ));
    }
    let n = rows.len() as f64;
    let mean_f1 = rows.iter().map(|r| r.3).sum::<f64>() / n;
    let mean_p = rows.iter().map(|r| r.1).sum::<f64>() / n;
    let mean_r = rows.iter().map(|r| r.2).sum::<f64>() / n;
    let titles = rows.iter().filter(|r| r.4).count();
    let mut worst = rows.clone();
    worst.sort_by(|a, b| a.3.partial_cmp(&b.3).unwrap());
    let mut report = format!(
        "# Main-content extraction on real pages\n\n\
         {} pages from Mozilla Readability's test suite (fixtures/readability). Token F1 of the text we\n\
         extract against the text Readability extracts (`expected.html`), and titles against\n\
         `expected-metadata.json` (case and whitespace ignored). Run: `PHE_WRITE_QUALITY=1 cargo test --release --test extraction_quality`.\n\n\
         | measure | value | target |\n| --- | --- | --- |\n\
         | mean token F1 | {mean_f1:.3} | ≥ 0.90 |\n| mean precision | {mean_p:.3} | |\n| mean recall | {mean_r:.3} | |\n\
         | titles right | {titles} of {} ({:.1}%) | ≥ 85% |\n| pages that crashed | 0 | 0 |\n\n\
         ## Worst ten by F1\n\n| page | precision | recall | F1 |\n| --- | --- | --- | --- |\n",
        rows.len(),
        rows.len(),
        100.0 * titles as f64 / n
    );
    for (name, p, r, f, ..) in worst.iter().take(10) {
        report.push_str(&format!("| {name} | {p:.3} | {r:.3} | {f:.3} |\n"));
    }
    report.push_str(
        "\n## Titles we get wrong\n\n| page | ours | Readability's |\n| --- | --- | --- |\n",
    );
    for (name, .., ok, ours, want) in &rows {
        if !ok {
            report.push_str(&format!(
                "| {name} | {} | {} |\n",
                ours.replace('|', "\\|"),
                want.replace('|', "\\|")
            ));
        }
    }
    println!("{report}");
    if std::env::var_os("PHE_WRITE_QUALITY").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/EXTRACTION.md"),
            &report,
        )
        .unwrap();
    }
    assert_eq!(rows.len(), 130);
    assert!(mean_f1 >= 0.90, "mean F1 {mean_f1:.3}");
    assert!(titles as f64 / n >= 0.85, "titles {titles}");
}
