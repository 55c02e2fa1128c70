//! Properties of the canonicaliser: no input panics, and a canonical key is a fixed point.

use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};
use proptest::prelude::*;

/// URL-ish strings built from the characters legacy URLs actually hold.
fn legacy_url() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9._~!$&'()*+,;=:@%|\\[\\]£é \"-]{0,12}";
    let query = "[A-Za-z0-9=&;%+._~ -]{0,24}";
    (
        prop_oneof![
            Just("http://"),
            Just("https://"),
            Just("HTTP://"),
            Just(""),
            Just("/"),
            Just("www.x.gov.uk/")
        ],
        prop::collection::vec(segment, 0..5),
        prop::option::of(query),
        prop::option::of("[a-z]{0,5}"),
    )
        .prop_map(|(scheme, segments, query, fragment)| {
            let mut s = String::from(scheme);
            if scheme.contains("://") {
                s.push_str("www.example.org.uk");
            }
            for seg in segments {
                s.push('/');
                s.push_str(&seg);
            }
            if let Some(q) = query {
                s.push('?');
                s.push_str(&q);
            }
            if let Some(f) = fragment {
                s.push('#');
                s.push_str(&f);
            }
            s
        })
}

fn params() -> impl Strategy<Value = SignificantParams> {
    prop_oneof![
        Just(SignificantParams::None),
        Just(SignificantParams::All),
        Just(SignificantParams::parse("a:b:rid:qn")),
    ]
}

/// GOV.UK keeps the case of letters that reach the query through escapes (`%41` is `A`),
/// so a second pass lowercases them: a documented quirk that strict mode fixes.
fn has_uppercase_letter_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(3).any(|w| {
        w[0] == b'%' && matches!((w[1], w[2].to_ascii_lowercase()), (b'4', b'1'..=b'9' | b'a'..=b'f') | (b'5', b'0'..=b'9' | b'a'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_input_panics(input in any::<String>(), p in params()) {
        for mode in [Mode::Govuk, Mode::Strict] {
            let c = Canonicalizer::new(p.clone(), mode);
            let _ = c.key(&input);
            let _ = c.canonical_url(&input);
        }
    }

    #[test]
    fn no_legacy_url_panics(input in legacy_url(), p in params()) {
        for mode in [Mode::Govuk, Mode::Strict] {
            let c = Canonicalizer::new(p.clone(), mode);
            let _ = c.key(&input);
            let _ = c.canonical_url(&input);
        }
    }

    #[test]
    fn strict_keys_are_fixed_points(input in legacy_url(), p in params()) {
        let c = Canonicalizer::new(p, Mode::Strict);
        if let Ok(key) = c.key(&input) {
            prop_assert_eq!(c.key(&key), Ok(key.clone()));
        }
        if let Ok(url) = c.canonical_url(&input) {
            prop_assert_eq!(c.canonical_url(&url), Ok(url.clone()));
        }
    }

    #[test]
    fn govuk_keys_are_fixed_points(input in legacy_url(), p in params()) {
        prop_assume!(!has_uppercase_letter_escape(&input));
        let c = Canonicalizer::new(p, Mode::Govuk);
        if let Ok(key) = c.key(&input) {
            prop_assert_eq!(c.key(&key), Ok(key.clone()));
        }
        if let Ok(url) = c.canonical_url(&input) {
            prop_assert_eq!(c.canonical_url(&url), Ok(url.clone()));
        }
    }
}
