//! `phe-migrate fixtures generate`: a large legacy site whose every page is reachable, whose
//! stated crawl size matches what a link walk finds, and which the fixture server serves.

mod common;

use std::collections::{BTreeSet, VecDeque};

use common::{links_in, phe_migrate};
use phe_migrate::fixtures::generate::{GenerateOptions, generate};
use phe_migrate::fixtures::{Answer, Estate};

#[test]
fn generated_site_is_complete_and_deterministic() {
    complete_and_deterministic(false);
}

#[test]
fn rich_site_is_complete_and_has_a_truth_for_every_page() {
    let dir = complete_and_deterministic(true);
    let truth = std::fs::read_to_string(dir.path().join("generated/truth.jsonl")).unwrap();
    assert_eq!(truth.lines().count(), 600);
    let page: serde_json::Value = serde_json::from_str(truth.lines().nth(104).unwrap()).unwrap();
    assert_eq!(page["path"], "/section-4/page-104.htm");
    let text = page["text"].as_str().unwrap();
    let html = std::fs::read(dir.path().join("generated/www/section-4/page-104.htm")).unwrap();
    let (html, _, _) = encoding_rs::WINDOWS_1252.decode(&html);
    // The truth is the text cell's words: not the menu, scripts or footer, not the h1.
    assert!(text.starts_with("This page from the PHE "), "{text}");
    assert!(!text.contains("zz") && html.contains("zzscriptleak") && html.contains("zzfooterleak"));
    assert!(!text.contains("Immunisation") && html.contains(">Immunisation</a>"));
    for (href, anchor) in page["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l[0].as_str().unwrap(), l[1].as_str().unwrap()))
    {
        assert!(html.contains(&format!("<a href=\"{href}\">{anchor}</a>")));
        assert!(text.contains(anchor));
    }
}

fn complete_and_deterministic(rich: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        pages: 600,
        host: "www.generated-legacy.org.uk".into(),
        seed: 7,
        rich,
    };
    let site = generate(&dir.path().join("generated"), &options).unwrap();
    let estate = Estate::load(dir.path()).unwrap();
    let host = "www.generated-legacy.org.uk";

    // Walk every link from the homepage and the sitemap, as a crawler obeying robots would.
    let mut seen = BTreeSet::from(["/robots.txt".to_owned(), "/sitemap.xml".to_owned()]);
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
    let sitemap = std::fs::read_to_string(dir.path().join("generated/www/sitemap.xml")).unwrap();
    for loc in sitemap.split("<loc>").skip(1) {
        queue.push_back(
            loc.split("</loc>")
                .next()
                .unwrap()
                .trim_start_matches(&format!("http://{host}"))
                .to_owned(),
        );
    }
    let mut pages = 0;
    let mut statuses = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if path.starts_with("/private/") || !seen.insert(path.clone()) {
            continue;
        }
        match estate.answer(host, &path) {
            Answer::File {
                path: file,
                content_type,
                ..
            } if content_type.starts_with("text/html") => {
                pages += 1;
                let bytes = std::fs::read(file).unwrap();
                let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
                let base = url::Url::parse(&format!("http://{host}{path}")).unwrap();
                // Images and style sheets are not pages: crawlers leave them alone.
                for link in links_in(&text)
                    .into_iter()
                    .filter(|l| !l.ends_with(".gif") && !l.ends_with(".css"))
                {
                    let target = base.join(&link.replace("&amp;", "&")).unwrap();
                    let mut p = target.path().to_owned();
                    if let Some(q) = target.query() {
                        p = format!("{p}?{q}");
                    }
                    if !seen.contains(&p) {
                        queue.push_back(p);
                    }
                }
            }
            Answer::File { .. } => {}
            Answer::Redirect { location, .. } => {
                statuses.insert(301);
                let p = url::Url::parse(&location).unwrap().path().to_owned();
                if !seen.contains(&p) {
                    queue.push_back(p);
                }
            }
            Answer::Status { status } => {
                statuses.insert(status);
            }
            Answer::UnknownHost => panic!("unknown host"),
        }
    }
    assert_eq!(
        seen.len() as u64,
        site.crawlable_urls,
        "the walk found {} URLs",
        seen.len()
    );
    assert!(
        pages as u64 >= site.pages,
        "{pages} HTML pages reached of {}",
        site.pages
    );
    assert_eq!(statuses, BTreeSet::from([301, 404, 410]));

    // Same seed, same bytes.
    let again = tempfile::tempdir().unwrap();
    generate(&again.path().join("generated"), &options).unwrap();
    for page in [
        "www/index.htm",
        "www/section-5/page-305.htm",
        "serve.yml",
        "nginx-redirects.map",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("generated").join(page)).unwrap(),
            std::fs::read(again.path().join("generated").join(page)).unwrap(),
            "{page}"
        );
    }
    dir
}

#[test]
fn generate_refuses_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("generated")).unwrap();
    std::fs::write(dir.path().join("generated/keep.txt"), "mine").unwrap();
    let output = phe_migrate()
        .args(["fixtures", "generate", "--pages", "10", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("generated/keep.txt")).unwrap(),
        "mine"
    );
}
