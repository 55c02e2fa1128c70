//! Sitemaps (sitemaps.org 0.9): URL sets and sitemap indexes, plain or gzipped, plus the
//! plain-text form (one URL per line).

use std::io::Read;

use quick_xml::events::Event;

/// The largest sitemap accepted after decompression (the protocol allows 50 MB).
pub const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sitemap {
    /// A sitemap index (its locations are more sitemaps) rather than a URL set.
    pub is_index: bool,
    pub locations: Vec<String>,
}

/// Parses a sitemap body; gzip is recognised by its magic bytes, whatever the headers say.
pub fn parse(body: &[u8]) -> Result<Sitemap, String> {
    let inflated;
    let bytes = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body)
            .take(MAX_SITEMAP_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| format!("sitemap is not valid gzip: {e}"))?;
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    let text = String::from_utf8_lossy(bytes);
    if !text.trim_start().starts_with('<') {
        let locations: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
            .map(str::to_owned)
            .collect();
        return if locations.is_empty() {
            Err("sitemap is neither XML nor a list of URLs".into())
        } else {
            Ok(Sitemap {
                is_index: false,
                locations,
            })
        };
    }
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut root: Option<String> = None;
    let mut in_loc = false;
    let mut current = String::new();
    let mut locations = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if root.is_none() {
                    root = Some(name.clone());
                }
                if name == "loc" {
                    in_loc = true;
                    current.clear();
                }
            }
            Ok(Event::End(e)) => {
                if e.local_name().as_ref().eq_ignore_ascii_case("loc") && in_loc {
                    in_loc = false;
                    let loc = current.trim();
                    if !loc.is_empty() {
                        locations.push(loc.to_owned());
                    }
                }
            }
            Ok(Event::Text(t)) if in_loc => current.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) if in_loc => current.push_str(t.as_ref()),
            Ok(Event::GeneralRef(r)) if in_loc => {
                current.push_str(&resolve_entity(r.as_ref()));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                if locations.is_empty() {
                    return Err(format!(
                        "sitemap XML error at byte {}: {e}",
                        reader.error_position()
                    ));
                }
                break;
            }
        }
    }
    match root.as_deref() {
        Some("sitemapindex") => Ok(Sitemap {
            is_index: true,
            locations,
        }),
        Some("urlset") => Ok(Sitemap {
            is_index: false,
            locations,
        }),
        Some(other) => Err(format!("not a sitemap: the root element is <{other}>")),
        None => Err("sitemap is empty".into()),
    }
}

fn resolve_entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()));
            code.and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_else(|| format!("&{name};"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_sets_indexes_gzip_and_text() {
        let xml = "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc> http://a.org/view.aspx?RID=1&amp;QN=2 </loc></url><url><loc><![CDATA[http://a.org/b]]></loc></url></urlset>";
        let s = parse(xml.as_bytes()).unwrap();
        assert_eq!(
            s,
            Sitemap {
                is_index: false,
                locations: vec![
                    "http://a.org/view.aspx?RID=1&QN=2".into(),
                    "http://a.org/b".into()
                ]
            }
        );
        let index =
            "<sitemapindex><sitemap><loc>http://a.org/s1.xml.gz</loc></sitemap></sitemapindex>";
        assert!(parse(index.as_bytes()).unwrap().is_index);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, xml.as_bytes()).unwrap();
        assert_eq!(parse(&gz.finish().unwrap()).unwrap().locations.len(), 2);
        assert_eq!(
            parse(b"http://a.org/x\nhttp://a.org/y\n")
                .unwrap()
                .locations
                .len(),
            2
        );
    }

    #[test]
    fn broken_sitemaps_are_errors_not_panics() {
        assert!(parse(b"<html><body>Not found</body></html>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"\x1f\x8bnot gzip").is_err());
        assert!(
            parse(b"<urlset><url><loc>http://a.org/x</loc></url><url><loc>http://a.org/").is_ok()
        );
        assert!(parse(b"<<<>>>").is_err());
    }
}
