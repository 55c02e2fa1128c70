//! Turning a legacy page's bytes into text: undoing Content-Encoding (with a size cap, so a
//! gzip bomb cannot exhaust memory) and finding the character set. Legacy sites often send
//! windows-1252 with no charset at all; decoding those bytes as UTF-8 would turn every £ and
//! curly quote into U+FFFD.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::Encoding;

/// Where the character set came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharsetSource {
    Header,
    Meta,
    Bom,
    Detected,
}

impl CharsetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Header => "header",
            CharsetSource::Meta => "meta",
            CharsetSource::Bom => "bom",
            CharsetSource::Detected => "detected",
        }
    }
}

/// Decoded text and how it was decoded.
#[derive(Clone, Debug)]
pub struct Decoded<'a> {
    /// The bytes themselves when they were valid text already (most pages): no copy.
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
    /// Some bytes were not valid in that encoding and became U+FFFD.
    pub had_errors: bool,
}

/// Decodes a page: charset from the Content-Type header, then a `<meta>` in the first 1024
/// bytes, then a byte-order mark, then detection (chardetng, tuned for `.uk` pages).
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let (encoding, source) = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .map(|e| (e, CharsetSource::Header))
        .or_else(|| meta_charset(bytes).map(|e| (e, CharsetSource::Meta)))
        .or_else(|| Encoding::for_bom(bytes).map(|(e, _)| (e, CharsetSource::Bom)))
        .unwrap_or_else(|| (detect(bytes), CharsetSource::Detected));
    // A page cannot really be UTF-16 if it was found through ASCII-compatible means.
    let encoding = if source == CharsetSource::Meta
        && (encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE)
    {
        encoding_rs::UTF_8
    } else {
        encoding
    };
    let (text, used, had_errors) = encoding.decode(bytes);
    Decoded {
        text,
        encoding: used,
        source,
        had_errors,
    }
}

/// The `charset=` parameter of a Content-Type value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// The charset a `<meta>` tag in the first 1024 bytes declares (a simplified form of the
/// HTML prescan, enough for `<meta charset>` and `http-equiv` forms).
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let start = from + at;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(e) = Encoding::for_label(&rest[..label_end]) {
                    return Some(e);
                }
            }
        }
        from = end.max(start + 5);
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(Some(b"uk"), chardetng::Utf8Detection::Allow)
}

/// Undoes a `Content-Encoding` (gzip, deflate), producing at most `limit` bytes. Returns the
/// bytes and whether they were cut at the limit. Unknown or broken encodings give the raw
/// bytes back unchanged.
pub fn decode_content<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
    limit: u64,
) -> (Cow<'a, [u8]>, bool) {
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
    let reader: Box<dyn Read> = match encoding.as_deref() {
        Some("gzip" | "x-gzip") => Box::new(flate2::read::MultiGzDecoder::new(body)),
        Some("deflate") => Box::new(flate2::read::ZlibDecoder::new(body)),
        _ => return (Cow::Borrowed(body), false),
    };
    let mut out = Vec::new();
    match reader.take(limit.saturating_add(1)).read_to_end(&mut out) {
        Ok(_) => {
            let cut = out.len() as u64 > limit;
            out.truncate(limit as usize);
            (Cow::Owned(out), cut)
        }
        Err(_) if !out.is_empty() => (Cow::Owned(out), false),
        Err(_) => (Cow::Borrowed(body), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS_1252: &[u8] = b"<p>Costs \xa35 \x96 the Agency\x92s \x93guidance\x94 on Guillain\x96Barr\xe9 syndrome, and more text to give the detector something to work with.</p>";

    #[test]
    fn windows_1252_without_any_charset_is_detected() {
        let d = decode(WINDOWS_1252, Some("text/html"));
        assert_eq!(d.source, CharsetSource::Detected);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
        assert!(
            d.text
                .contains("\u{a3}5 \u{2013} the Agency\u{2019}s \u{201c}guidance\u{201d}")
        );
        assert!(d.text.contains("Guillain\u{2013}Barr\u{e9}"));
    }

    #[test]
    fn header_then_meta_then_bom() {
        let d = decode("£".as_bytes(), Some("text/html; charset=\"UTF-8\""));
        assert_eq!((d.source, &*d.text), (CharsetSource::Header, "£"));
        let page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body>\x93hi\x94</body>";
        let d = decode(page, Some("text/html"));
        assert_eq!(d.source, CharsetSource::Meta);
        // iso-8859-1 is windows-1252 on the web.
        assert!(d.text.contains("\u{201c}hi\u{201d}"));
        let d = decode(b"<meta charset=utf-8><p>\xc2\xa3</p>", None);
        assert_eq!(
            (d.source, d.encoding),
            (CharsetSource::Meta, encoding_rs::UTF_8)
        );
        let d = decode(b"\xef\xbb\xbf<p>\xc2\xa3</p>", None);
        assert_eq!(d.source, CharsetSource::Bom);
        assert_eq!(d.text, "<p>£</p>");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let d = decode(b"<p>caf\xe9</p>", Some("text/html; charset=utf-8"));
        assert!(d.had_errors);
        assert_eq!(d.text, "<p>caf\u{fffd}</p>");
    }

    #[test]
    fn gzip_is_capped() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&vec![b'a'; 1_000_000]).unwrap();
        let gz = e.finish().unwrap();
        let (out, cut) = decode_content(&gz, Some("gzip"), 1000);
        assert_eq!((out.len(), cut), (1000, true));
        let (out, cut) = decode_content(&gz, Some("gzip"), 2_000_000);
        assert_eq!((out.len(), cut), (1_000_000, false));
        let (out, _) = decode_content(b"plain", None, 10);
        assert_eq!(&*out, b"plain");
    }
}
