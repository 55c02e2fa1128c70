//! Bouncer's request handling, vector by vector (fixtures/reference/bouncer_request_vectors.csv,
//! transcribed from Bouncer's own feature spec), against the responder that `serve` runs.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use phe_migrate::canonical::Mode;
use phe_migrate::config::site::{Site, load_site};
use phe_migrate::redirects::bouncer::{Responder, Response, SITEMAP_MAX};
use phe_migrate::redirects::{self, Inputs, Outcome, Rule, sources};

struct Vector {
    id: String,
    setup: String,
    mappings: String,
    url: String,
    status: u16,
    location: String,
    content_type: String,
    body: String,
    cache_control: String,
}

fn vectors() -> Vec<Vector> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/reference/bouncer_request_vectors.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Vector {
                id: r[0].to_owned(),
                setup: r[2].to_owned(),
                mappings: r[3].to_owned(),
                url: r[4].to_owned(),
                status: r[5].parse().unwrap(),
                location: r[6].to_owned(),
                content_type: r[7].to_owned(),
                body: r[8].to_owned(),
                cache_control: r[9].to_owned(),
            }
        })
        .collect()
}

/// The spec's fixture site, with the overrides a vector's `site_setup` names.
fn site_yaml(abbr: &str, overrides: &BTreeMap<&str, String>) -> Site {
    let get = |k: &str, default: &str| {
        overrides
            .get(k)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let mut yaml = format!(
        "site: {abbr}\nwhitehall_slug: {}\nhost: {}\ntna_timestamp: {}\nhomepage: {}\n",
        get("slug", "ministry-of-truth"),
        get("host", "www.minitrue.gov.uk"),
        get("tna", "20121026065214"),
        get(
            "homepage",
            "http://www.gov.uk/government/organisations/ministry-of-truth"
        ),
    );
    if let Some(furl) = overrides
        .get("homepage_furl")
        .map_or(Some("www.gov.uk/mot"), |f| {
            (f != "nil").then_some(f.as_str())
        })
    {
        yaml.push_str(&format!("homepage_furl: {furl}\n"));
    }
    for key in [
        "homepage_title",
        "options",
        "global",
        "global_redirect_append_path",
    ] {
        if let Some(v) = overrides.get(key) {
            yaml.push_str(&format!("{key}: {v}\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{abbr}.yml"));
    std::fs::write(&path, yaml).unwrap();
    let report = load_site(&path);
    report
        .site
        .unwrap_or_else(|| panic!("{:?}", report.diagnostics))
}

/// Reads the `site_setup` column: `key=value; key=value` in the spec's own words.
fn overrides(setup: &str) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    if setup == "host renamed to minitrue.gov.uk" {
        out.insert("host", "minitrue.gov.uk".to_owned());
    }
    if let Some(title) = setup.strip_prefix("organisation title=") {
        out.insert("homepage_title", format!("'{title}'"));
    }
    let mut global_type = None;
    let mut global_url = None;
    for part in setup.split(';').map(str::trim) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k {
            // A blank list is no `options:` at all in a site config.
            "query_params" if v != "(empty string)" => {
                out.insert("options", format!("'--query-string {v}'"));
            }
            "homepage_title" => {
                out.insert("homepage_title", v.to_owned());
            }
            "homepage_furl" => {
                out.insert("homepage_furl", v.to_owned());
            }
            "homepage" => {
                out.insert("homepage", v.to_owned());
            }
            "global_type" => global_type = Some(v.to_owned()),
            "global_new_url" => global_url = Some(v.to_owned()),
            "global_redirect_append_path" => {
                out.insert("global_redirect_append_path", v.to_owned());
            }
            _ => {}
        }
    }
    match (global_type.as_deref(), global_url) {
        (Some("redirect"), Some(url)) => {
            out.insert("global", format!("'=301 {url}'"));
        }
        (Some("archive"), _) => {
            out.insert("global", "'=410'".to_owned());
        }
        _ => {}
    }
    out
}

/// Reads the `mappings` column: `path|type|new_url` or `path|type|key=value`, `;`-separated.
fn rules(site: &Site, mappings: &str) -> BTreeMap<String, Rule> {
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let mut pages = BTreeMap::new();
    if mappings == "-" {
        return pages;
    }
    for cell in mappings.split(" ; ") {
        let parts: Vec<&str> = cell.split('|').collect();
        let extra = |name: &str| {
            parts
                .get(2)
                .and_then(|p| p.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        };
        let outcome = match parts.get(1).copied() {
            Some("redirect") => Outcome::Redirect {
                new_url: parts[2].to_owned(),
            },
            Some("archive") => Outcome::Archive {
                archive_url: extra("archive_url"),
            },
            Some("unresolved") => Outcome::Unresolved,
            _ => continue, // "never served": the spec's deleted mapping
        };
        pages.insert(
            canonicalizer.key(parts[0]).unwrap(),
            Rule {
                outcome,
                from: "spec".into(),
                suggested_url: extra("suggested_url"),
            },
        );
    }
    pages
}

fn responder(sites: Vec<(Site, BTreeMap<String, Rule>)>) -> Responder {
    let allowed = sources::allowed_hosts(Path::new("/nonexistent")).unwrap();
    let tables = sites
        .into_iter()
        .map(|(site, pages)| {
            let table = redirects::resolve(
                &site,
                &site.canonicalizer(Mode::Govuk),
                Inputs {
                    pages,
                    allowed_hosts: allowed.clone(),
                    ..Inputs::default()
                },
            );
            (site, table)
        })
        .collect();
    Responder::new(tables, allowed)
}

fn request(responder: &Responder, url: &str) -> Response {
    let after = url.split_once("://").unwrap().1;
    let (host, target) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    responder.respond(host, target)
}

/// Checks the columns every vector has: status, Location, content type, Cache-Control, body.
fn check(v: &Vector, r: &Response) {
    let id = &v.id;
    assert_eq!(r.status, v.status, "{id}: status; body {}", r.body);
    if v.location == "(none)" {
        assert_eq!(r.location, None, "{id}");
    } else if !v.location.is_empty() {
        assert_eq!(r.location.as_deref(), Some(v.location.as_str()), "{id}");
    }
    if !v.content_type.is_empty() {
        let ct = r.content_type.unwrap_or_default();
        assert!(ct.starts_with(&v.content_type), "{id}: content type {ct}");
    }
    match v.cache_control.as_str() {
        "" => {}
        "(absent)" => assert_eq!(r.cache_control, None, "{id}"),
        cc => assert_eq!(r.cache_control, Some(cc), "{id}"),
    }
    if v.body.contains('<') || v.body.contains("&lt;") {
        for fragment in v.body.split(" ; ") {
            assert!(
                r.body.contains(fragment),
                "{id}: {fragment:?} not in\n{}",
                r.body
            );
        }
    }
}

#[test]
fn every_single_site_vector_answers_as_bouncer() {
    let mut checked = HashSet::new();
    for v in vectors() {
        let n: u32 = v.id[1..].parse().unwrap();
        if n == 31 || n == 37 || n >= 47 {
            continue; // below: an invalid config, the sitemap cap, host-specific rules
        }
        let sites = if n == 20 {
            let minil: BTreeMap<_, _> = [
                ("slug", "ministry-of-love".to_owned()),
                ("host", "www.miniluv.gov.uk".to_owned()),
                ("tna", "20130724103251".to_owned()),
                (
                    "homepage",
                    "http://www.gov.uk/government/organisations/ministry-of-love".to_owned(),
                ),
            ]
            .into();
            let minit = site_yaml("minit", &BTreeMap::new());
            let minil = site_yaml("minil", &minil);
            vec![(minit, BTreeMap::new()), (minil, BTreeMap::new())]
        } else {
            let site = site_yaml("minit", &overrides(&v.setup));
            let pages = rules(&site, &v.mappings);
            vec![(site, pages)]
        };
        let responder = responder(sites);
        let response = request(&responder, &v.url);
        check(&v, &response);
        match n {
            9 => assert_eq!(
                response.body,
                "Refusing to redirect to non-whitelisted domain: http://spam.net/gov.uk"
            ),
            26 => assert!(
                response
                    .body
                    .contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
            ),
            27 | 38 => assert_eq!(
                response.body,
                "User-agent: *\nDisallow:\nSitemap: http://www.minitrue.gov.uk/sitemap.xml\n"
            ),
            36 => {
                let body = &response.body;
                assert!(body.contains("<loc>http://www.minitrue.gov.uk/a-redirected-page</loc>"));
                assert!(!body.contains("a-deleted-page") && !body.contains("an-archived-page"));
            }
            40 => assert!(
                response.body.contains("non-whitelisted") && response.body.contains("spam.net")
            ),
            41 | 42 => assert_eq!(response.body, "This host is not configured in Transition"),
            43 => assert_eq!(response.body, "OK"),
            44 => {
                let json: serde_json::Value = serde_json::from_str(&response.body).unwrap();
                assert!(json.get("status").is_some());
            }
            _ => {}
        }
        checked.insert(n);
    }
    assert_eq!(
        checked.len(),
        44,
        "B01–B46 but B31 and B37, which have their own tests"
    );
}

#[test]
fn the_sitemap_is_capped_at_fifty_thousand_redirects() {
    // B37, at the production size rather than the spec's stubbed 10.
    let site = site_yaml("minit", &BTreeMap::new());
    let mut pages = BTreeMap::new();
    for i in 1..=SITEMAP_MAX + 1 {
        pages.insert(
            format!("/a-redirected-page-{i:06}"),
            Rule {
                outcome: Outcome::Redirect {
                    new_url: "https://www.gov.uk/new".into(),
                },
                from: "spec".into(),
                suggested_url: None,
            },
        );
    }
    let responder = responder(vec![(site, pages)]);
    let body = request(&responder, "http://www.minitrue.gov.uk/sitemap.xml").body;
    assert_eq!(body.matches("<loc>").count(), SITEMAP_MAX);
    assert!(body.contains("/a-redirected-page-050000</loc>"));
    assert!(!body.contains("/a-redirected-page-050001</loc>"));
}

#[test]
fn an_unknown_global_type_is_refused_when_the_config_is_read() {
    // B31: Bouncer answers 500 for a global type it does not know; we refuse the config.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minit.yml");
    std::fs::write(
        &path,
        "site: minit\nwhitehall_slug: ministry-of-truth\nhost: www.minitrue.gov.uk\ntna_timestamp: 20121026065214\nhomepage: https://www.gov.uk/mot\nglobal: =nonsense\n",
    )
    .unwrap();
    let report = load_site(&path);
    assert!(report.site.is_none());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("global")),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn a_page_mapping_beats_a_section_as_a_mapping_beats_a_fallback_rule() {
    // B47/B48's order with our own pattern rules: sections stand where Bouncer's fallback
    // rules do (after page mappings, before the 404).
    let site = site_yaml("minit", &BTreeMap::new());
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let mut pages = BTreeMap::new();
    pages.insert(
        "/dh_digitalassets/really-special-asset".to_owned(),
        Rule {
            outcome: Outcome::Redirect {
                new_url: "https://www.gov.uk/government/organisations/dh/really-special-asset"
                    .into(),
            },
            from: "m.yml:1".into(),
            suggested_url: None,
        },
    );
    let allowed = sources::allowed_hosts(Path::new("/nonexistent")).unwrap();
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            pages,
            sections: vec![(
                "/dh_digitalassets/".to_owned(),
                Rule {
                    outcome: Outcome::Archive { archive_url: None },
                    from: "m.yml:2".into(),
                    suggested_url: None,
                },
            )],
            known: vec![redirects::KnownUrl {
                raw: "http://www.minitrue.gov.uk/dh_digitalassets/c".into(),
                key: "/dh_digitalassets/c".into(),
                ..Default::default()
            }],
            allowed_hosts: allowed.clone(),
            ..Inputs::default()
        },
    );
    let responder = Responder::new(vec![(site, table)], allowed);
    let special = request(
        &responder,
        "http://www.minitrue.gov.uk/dh_digitalassets/really-special-asset",
    );
    assert_eq!(special.status, 301);
    let other = request(&responder, "http://www.minitrue.gov.uk/dh_digitalassets/c");
    assert_eq!(other.status, 410);
    assert!(other.body.contains(
        "<a href=\"https://webarchive.nationalarchives.gov.uk/20121026065214/http://www.minitrue.gov.uk/dh_digitalassets/c\">This item has been archived</a>"
    ));
}
