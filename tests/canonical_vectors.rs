//! Every row of GOV.UK's canonicalisation vectors (fixtures/reference/transition_c14n_vectors.csv)
//! must pass in `govuk` mode; `phe-migrate canonical` shows the same from the terminal.

mod common;

use common::{phe_migrate, repo_root};
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};

#[derive(serde::Deserialize)]
struct Vector {
    id: String,
    input: String,
    significant_query_params: String,
    expected_canonical_url: String,
    expected_canonical_path: String,
}

#[test]
fn every_transition_vector_passes_in_govuk_mode() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reference/transition_c14n_vectors.csv"
    );
    let mut reader = csv::Reader::from_path(path).expect("vectors file");
    let mut failures = Vec::new();
    let mut count = 0;
    for row in reader.deserialize::<Vector>() {
        let v = row.expect("well-formed vector row");
        count += 1;
        let c = Canonicalizer::new(
            SignificantParams::parse(&v.significant_query_params),
            Mode::Govuk,
        );
        match c.key(&v.input) {
            Ok(key) if key == v.expected_canonical_path => {}
            other => failures.push(format!(
                "{} key: {:?} -> {:?}, want {:?}",
                v.id, v.input, other, v.expected_canonical_path
            )),
        }
        if !v.expected_canonical_url.starts_with("n/a") {
            match c.canonical_url(&v.input) {
                Ok(url) if url == v.expected_canonical_url => {}
                other => failures.push(format!(
                    "{} url: {:?} -> {:?}, want {:?}",
                    v.id, v.input, other, v.expected_canonical_url
                )),
            }
        }
    }
    assert!(count >= 50, "only {count} vectors read");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[derive(serde::Deserialize)]
struct HostVector {
    id: String,
    function: String,
    input: String,
    expected: String,
}

/// GOV.UK's AKA-host rules (fixtures/reference/transition_host_vectors.csv): Bouncer's lookup
/// and Transition's AKA names. Hostname validation rows are covered by `sites validate` tests;
/// DNS rows concern live hosts.
#[test]
fn aka_host_vectors_pass() {
    use phe_migrate::canonical::{aka_hostname, bouncer_lookup_host};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reference/transition_host_vectors.csv"
    );
    let mut checked = 0;
    for row in csv::Reader::from_path(path)
        .unwrap()
        .deserialize::<HostVector>()
    {
        let v = row.unwrap();
        let got = match v.function.as_str() {
            "bouncer_lookup_host" => bouncer_lookup_host(&v.input),
            "transition_aka_hostname" => aka_hostname(&v.input),
            "transition_is_aka" => v.input.starts_with("aka").to_string(),
            _ => continue,
        };
        assert_eq!(got, v.expected, "{}", v.id);
        checked += 1;
    }
    assert_eq!(checked, 13);
}

#[test]
fn the_command_takes_a_site_as_an_option_or_first() {
    let canonical = |args: &[&str]| {
        let output = phe_migrate()
            .current_dir(repo_root())
            .arg("canonical")
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let url = "http://www.chobs-demo.org.uk/Resource/View.aspx?RID=101708&utm_source=x#top";
    let want = "http://www.chobs-demo.org.uk/resource/view.aspx?rid=101708\t/resource/view.aspx?rid=101708\n\
                http://www.chobs-demo.org.uk/profiles/view.aspx?qn=chp_e09000007\t/profiles/view.aspx?qn=chp_e09000007\n";
    let path = "/Profiles/View.aspx?QN=CHP_E09000007&x=1";
    assert_eq!(canonical(&["--site", "demo_chobs", url, path]), want);
    assert_eq!(canonical(&["demo_chobs", url, path]), want);
    // Without a site, GOV.UK's default keeps no query; a word that names no site is a path.
    assert_eq!(
        canonical(&[url, "no_such_site"]),
        "http://www.chobs-demo.org.uk/resource/view.aspx\t/resource/view.aspx\n-\t/no_such_site\n"
    );
}
