//! Times one Rust peer over the benchmark corpus, single-threaded, pages in memory:
//! `parse` (html5ever building scraper's DOM, what phe-migrate parses each page with) or
//! `mdka` (HTML to Markdown). Prints `tool pages seconds`; with an output folder, writes
//! each page's Markdown there as `<n>.md` (n = the page's line in truth.jsonl).
//!
//!   transform-peers (parse|mdka) SITE_DIR [OUT_DIR]
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (tool, site) = match (args.get(1), args.get(2)) {
        (Some(t), Some(s)) => (t.as_str(), std::path::Path::new(s)),
        _ => {
            eprintln!("usage: transform-peers (parse|mdka) SITE_DIR [OUT_DIR]");
            std::process::exit(2);
        }
    };
    let out = args.get(3).map(std::path::PathBuf::from);
    let truth = std::fs::read_to_string(site.join("truth.jsonl")).expect("truth.jsonl");
    let pages: Vec<String> = truth
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("json");
            let path = record["path"].as_str().expect("path");
            let file = if path == "/" {
                site.join("www/index.htm")
            } else {
                site.join("www").join(&path[1..])
            };
            let bytes = std::fs::read(&file).expect("page");
            encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned()
        })
        .collect();
    let started = Instant::now();
    let mut outputs: Vec<String> = Vec::new();
    let mut nodes = 0usize;
    for html in &pages {
        match tool {
            "parse" => nodes += scraper::Html::parse_document(html).tree.nodes().count(),
            "mdka" => outputs.push(mdka::html_to_markdown(html)),
            other => panic!("unknown tool {other}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{tool} {} {seconds:.3}", pages.len());
    if nodes == usize::MAX {
        println!("{nodes}");
    }
    if let Some(out) = out {
        std::fs::create_dir_all(&out).expect("out dir");
        for (n, md) in outputs.iter().enumerate() {
            std::fs::write(out.join(format!("{n}.md")), md).expect("write");
        }
    }
}
