//! Every HTML -> Govspeak vector from GDS's paste-html-to-govspeak, and every Govspeak ->
//! HTML vector from alphagov/govspeak's own tests (fixtures/govspeak/govspeak-vectors.md).

use std::path::Path;

use phe_migrate::govspeak::{self, AttachmentRef, ImageRef, LinkTarget, RenderOptions};
use scraper::{ElementRef, Html, Node};

struct Vector {
    id: String,
    html: String,
    govspeak: String,
}

fn vectors() -> Vec<Vector> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/govspeak");
    let text = std::fs::read_to_string(dir.join("govspeak-vectors.md")).unwrap();
    let mut out = Vec::new();
    // A vector starts at a "### P01" / "### G01" line (Govspeak blocks hold "### " headings).
    let mut starts: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let b = line.as_bytes();
        if line.starts_with("### ")
            && b.len() > 7
            && (b[4] == b'P' || b[4] == b'G')
            && b[5].is_ascii_digit()
            && b[6].is_ascii_digit()
        {
            starts.push(offset + 4);
        }
        offset += line.len();
    }
    starts.push(text.len());
    for pair in starts.windows(2) {
        let section = &text[pair[0]..pair[1]];
        let id = section.split_whitespace().next().unwrap().to_owned();
        let block = |lang: &str| -> String {
            let start = section
                .find(&format!("```{lang}\n"))
                .unwrap_or_else(|| panic!("{id}: no {lang} block"));
            let body = &section[start + lang.len() + 4..];
            body[..body.find("```").unwrap()].to_owned()
        };
        let mut html = block("html");
        if html.contains("see govspeak-fixtures/") {
            let name = html
                .split("govspeak-fixtures/")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            html = std::fs::read_to_string(dir.join(name)).unwrap();
        }
        let govspeak = block("govspeak");
        out.push(Vector { id, html, govspeak });
    }
    out
}

fn normalise_govspeak(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

fn convert(html: &str) -> govspeak::Conversion {
    let document = Html::parse_document(html);
    let skip = phe_migrate::extract::NodeSet::default();
    let keep = |_: &url::Url| LinkTarget::Keep;
    let options = govspeak::Options {
        base: None,
        link_target: &keep,
        skip: &skip,
    };
    govspeak::convert(document.root_element(), &options)
}

#[test]
fn html_to_govspeak_vectors() {
    let mut failures = Vec::new();
    let mut count = 0;
    for v in vectors().iter().filter(|v| v.id.starts_with('P')) {
        count += 1;
        let got = normalise_govspeak(&convert(&v.html).govspeak);
        let want = normalise_govspeak(&v.govspeak);
        if got != want {
            failures.push(format!("{}:\n--- want\n{want}\n--- got\n{got}\n", v.id));
        }
    }
    assert_eq!(count, 27);
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A canonical text form of an HTML fragment: elements with sorted attributes, text with
/// whitespace collapsed, whitespace-only text dropped.
fn normalise_html(html: &str) -> String {
    fn walk(node: ego_tree::NodeRef<'_, Node>, out: &mut String) {
        match node.value() {
            Node::Text(t) => {
                let text = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    out.push_str(&text);
                    out.push('\n');
                }
            }
            Node::Element(e) => {
                let mut attrs: Vec<String> = e.attrs().map(|(k, v)| format!("{k}={v:?}")).collect();
                attrs.sort();
                out.push_str(&format!("<{} {}>\n", e.name(), attrs.join(" ")));
                for child in node.children() {
                    walk(child, out);
                }
                out.push_str(&format!("</{}>\n", e.name()));
            }
            _ => {
                for child in node.children() {
                    walk(child, out);
                }
            }
        }
    }
    let fragment = Html::parse_fragment(html);
    let mut out = String::new();
    let root = ElementRef::wrap(fragment.tree.root().first_child().unwrap()).unwrap();
    for child in root.children() {
        walk(child, &mut out);
    }
    out
}

#[test]
fn govspeak_to_html_vectors() {
    let attachments = [AttachmentRef {
        id: "attachment.pdf".into(),
        url: "http://example.com/attachment.pdf".into(),
        title: "Attachment Title".into(),
    }];
    let images = [ImageRef {
        id: "image-id".into(),
        url: "http://example.com/image.jpg".into(),
        alt_text: "my alt".into(),
        caption: Some("My Caption & so on".into()),
    }];
    let mut failures = Vec::new();
    let mut count = 0;
    for v in vectors().iter().filter(|v| v.id.starts_with('G')) {
        count += 1;
        let options = RenderOptions {
            attachments: &attachments,
            images: &images,
            auto_numbered_headings: v.id == "G37",
        };
        let got = govspeak::render(&v.govspeak, &options).html;
        if normalise_html(&got) != normalise_html(&v.html) {
            failures.push(format!(
                "{}:\n--- want\n{}\n--- got\n{}\n{got}",
                v.id,
                normalise_html(&v.html),
                normalise_html(&got)
            ));
        }
    }
    assert_eq!(count, 40);
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn script_text_never_reaches_the_draft_or_the_body() {
    let page = "<p>Intro</p><script>var leak = 1;</script><style>p{}</style><p>End &lt;script&gt;x&lt;/script&gt;</p>";
    let draft = convert(page).govspeak;
    assert!(!draft.contains("leak") && !draft.contains("p{}"), "{draft}");
    let body = govspeak::render(&draft, &RenderOptions::default()).html;
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("&lt;script&gt;"), "{body}");
}

#[test]
fn deep_nesting_converts_without_recursion() {
    let depth = 8_000;
    let html = format!(
        "{}<p>deep text</p>{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || convert(&html).govspeak)
        .unwrap();
    assert_eq!(handle.join().unwrap(), "deep text\n");
}

/// Converts with every link taken as a file (`https://x.org/a.pdf` is attachment `a.pdf`).
fn convert_with_files(html: &str) -> govspeak::Conversion {
    let document = Html::parse_document(html);
    let skip = phe_migrate::extract::NodeSet::default();
    let files = |u: &url::Url| LinkTarget::Attachment(u.path().trim_start_matches('/').to_owned());
    let options = govspeak::Options {
        base: None,
        link_target: &files,
        skip: &skip,
    };
    govspeak::convert(document.root_element(), &options)
}

#[test]
fn publications_list_their_files_apart_from_the_body() {
    let html = r#"<p>Read the <a href="https://x.org/a.pdf">*full* report</a> first.</p>
        <p><a href="https://x.org/a.pdf">Download the report (PDF)</a></p>
        <p><a href="https://x.org/b.xls">Data</a> (XLS, 20KB)</p>"#;
    let conversion = convert_with_files(html);
    assert_eq!(
        conversion.govspeak,
        "Read the [AttachmentLink: a.pdf] first.\n\n[Attachment: a.pdf]\n\n[Attachment: b.xls]\n"
    );
    assert_eq!(
        govspeak::with_attachments_listed(&conversion),
        "Read the \\*full\\* report first.\n"
    );
}

#[test]
fn a_publications_downloads_section_goes_with_its_files() {
    let html = r#"<h2>Summary</h2><p>Rates by area.</p>
        <h2>Downloads</h2>
        <ul><li><a href="https://x.org/a.pdf">Download a.pdf (PDF)</a></li>
            <li><a href="https://x.org/b.xls">Data</a> (XLS, 20KB)</li></ul>
        <h2>Related</h2>
        <ul><li><a href="https://x.org/c.pdf">The 2010 report</a>, with its method</li>
            <li><a href="https://x.org/d.pdf">d.pdf</a></li></ul>
        <h3>Older files</h3><ol><li><a href="https://x.org/e.pdf">e.pdf</a></li></ol>"#;
    let conversion = convert_with_files(html);
    // Embedded, each file link stays where it was.
    assert!(
        conversion
            .govspeak
            .contains("## Downloads\n\n- [AttachmentLink: a.pdf]\n"),
        "{}",
        conversion.govspeak
    );
    // Listed apart: the list items that were only a file go, and a heading left with
    // nothing under it ("Downloads", "Older files") goes with them; text stays.
    assert_eq!(
        govspeak::with_attachments_listed(&conversion),
        "## Summary\n\nRates by area.\n\n## Related\n\n- The 2010 report, with its method\n"
    );
}

#[test]
fn legacy_text_that_looks_like_a_nation_marker_stays_text() {
    for nation in [
        "england-wales",
        "northern-ireland",
        "england",
        "scotland",
        "wales",
        "london",
    ] {
        let html = format!("<p>:{nation}: applies here :{nation}:</p>");
        let draft = convert(&html).govspeak;
        let body = govspeak::render(&draft, &RenderOptions::default()).html;
        assert!(
            body.contains(&format!(":{nation}: applies here")),
            "{nation}: draft {draft:?} rendered as {body}"
        );
        assert!(!body.contains("devolved"), "{nation}: {body}");
    }
}

#[test]
fn a_cell_pushed_past_the_widest_row_by_a_rowspan_is_kept() {
    // Browsers show "2" in a third column: a rowspan above moves the row's cells right.
    let html = "<table><tr><th>Area</th><th>Rate</th></tr>\
        <tr><td rowspan=2>North</td><td>1</td></tr><tr><td>North east</td><td>2</td></tr></table>";
    let conversion = convert(html);
    assert_eq!(
        conversion.govspeak,
        "| Area | Rate |  |\n| --- | --- | --- |\n| North | 1 |  |\n|  | North east | 2 |\n"
    );
    assert_eq!(
        conversion.warnings,
        ["table with merged cells: split into plain cells, check the layout"]
    );
}

#[test]
fn columns_that_exist_only_inside_a_colspan_are_dropped() {
    // `colspan="100"` is how many legacy pages made a title row span "everything".
    let html = "<table><tr><th colspan=100>Rates by year</th></tr><tr><th>Area</th><th>2012</th></tr>\
        <tr><td>North</td><td>1.5</td></tr></table>";
    assert_eq!(
        convert(html).govspeak,
        "| Rates by year |  |\n| --- | --- |\n|# Area | 2012 |\n| North | 1.5 |\n"
    );
    // One real column, however wide its cells say they are, is not a table.
    let one_column =
        "<table><tr><td colspan=2>One</td></tr><tr><td colspan=2>Two</td></tr></table>";
    assert_eq!(convert(one_column).govspeak, "One\n\nTwo\n");
}

#[test]
fn a_table_of_wide_spans_over_many_rows_cannot_blow_up_into_padding() {
    // 40 kB of markup that, padded into a grid, was 100 million cells and gigabytes of draft.
    let html = format!(
        "<table><tr>{}</tr>{}</table>",
        "<td colspan=100>x</td>".repeat(1000),
        "<tr><td>y</td></tr>".repeat(1000)
    );
    let conversion = convert(&html);
    assert!(
        conversion.govspeak.len() < 20_000,
        "{}",
        conversion.govspeak.len()
    );
    assert_eq!(conversion.govspeak.matches('x').count(), 1000);
    assert_eq!(conversion.govspeak.matches('y').count(), 1000);
    assert_eq!(
        conversion.warnings,
        [
            "table of 1001 rows and 1000 columns, mostly empty: its cells are kept as paragraphs; \
          rebuild it as a table, or publish its data as a CSV attachment"
        ]
    );
}
