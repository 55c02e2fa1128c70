//! Attachment file names as GOV.UK publishing will keep them. Whitehall takes a file only
//! with an extension from its allow-list, sets the file's type from that extension (not
//! from what the legacy server said), keeps the name with every character but letters,
//! digits, `_`, `.`, `-` and `+` replaced by `_` (CarrierWave's rule), and refuses a second
//! file of the same name, in any case, on one document. Legacy sites serve files from
//! `/webc/HPAwebFile/HPAweb_C/1194947395411` or `download.aspx?id=5`, so the name is built
//! here once, and `[Attachment: name]` in the drafts names the file that will be uploaded.

use std::collections::HashSet;

/// The extensions Whitehall's attachment uploader accepts (its `EXTENSION_ALLOW_LIST`).
pub const WHITEHALL_EXTENSIONS: &[&str] = &[
    "chm", "csv", "diff", "doc", "docx", "dot", "dxf", "eps", "gif", "gml", "ics", "jpg", "kml",
    "odp", "ods", "odt", "pdf", "png", "ppt", "pptx", "ps", "rdf", "ris", "rtf", "sch", "txt",
    "vcf", "wsdl", "xls", "xlsm", "xlsx", "xlt", "xml", "xsd", "xslt", "zip",
];

/// Extensions of scripts that answer with a file: their name says nothing of the file.
const SCRIPT_EXTENSIONS: &[&str] = &[
    "asp", "aspx", "ashx", "axd", "cfm", "cgi", "dll", "do", "jsp", "php", "pl", "py",
];

/// The extension a file of this type is saved with, for the types legacy sites serve.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    Some(match essence.to_ascii_lowercase().as_str() {
        "application/pdf" | "application/x-pdf" => "pdf",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" | "application/x-msexcel" | "application/excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-excel.sheet.macroenabled.12" => "xlsm",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.presentation" => "odp",
        "text/csv" | "text/comma-separated-values" | "application/csv" => "csv",
        "application/rtf" | "text/rtf" => "rtf",
        "text/plain" => "txt",
        "application/zip" | "application/x-zip-compressed" => "zip",
        "application/xml" | "text/xml" => "xml",
        "application/vnd.google-earth.kml+xml" => "kml",
        "application/postscript" => "ps",
        "image/png" => "png",
        "image/jpeg" | "image/pjpeg" => "jpg",
        "image/gif" => "gif",
        _ => return None,
    })
}

/// A name's extension, lower-cased, when it has one.
pub fn extension_of(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.')?;
    let plausible = extension.len() <= 5
        && extension.bytes().all(|b| b.is_ascii_alphanumeric())
        && extension.bytes().any(|b| b.is_ascii_alphabetic());
    (!stem.is_empty() && plausible).then(|| extension.to_ascii_lowercase())
}

/// Whether Whitehall takes a file of this name.
pub fn accepted_by_whitehall(name: &str) -> bool {
    extension_of(name).is_some_and(|e| WHITEHALL_EXTENSIONS.contains(&e.as_str()))
}

/// The file name an attachment is uploaded with: the one the server gave
/// (`Content-Disposition`), else the URL's last segment (a script's name with its query's
/// values, `download-5`), with the extension its type is saved with when it has none, in
/// Whitehall's characters. `fallback` names a URL with no last segment.
pub fn attachment_name(
    url: &str,
    content_type: &str,
    content_disposition: Option<&str>,
    fallback: &str,
) -> String {
    let from_server = content_disposition.and_then(disposition_file_name);
    let name = from_server.unwrap_or_else(|| name_from_url(url).unwrap_or_else(|| fallback.into()));
    let name = match (extension_of(&name), extension_for(content_type)) {
        (Some(e), Some(wanted)) if SCRIPT_EXTENSIONS.contains(&e.as_str()) => {
            format!("{}.{wanted}", &name[..name.len() - e.len() - 1])
        }
        (None, Some(wanted)) => format!("{name}.{wanted}"),
        _ => name,
    };
    shortened(&sanitised(&name))
}

/// The longest name kept, in characters: a file system takes 255 bytes, and a query's
/// values can run longer. The stem is cut; the extension stays.
const LONGEST_NAME: usize = 120;

fn shortened(name: &str) -> String {
    if name.chars().count() <= LONGEST_NAME {
        return name.to_owned();
    }
    let extension = extension_of(name).map_or(String::new(), |e| {
        format!(".{}", &name[name.len() - e.len()..])
    });
    let stem: String = name[..name.len() - extension.len()]
        .chars()
        .take(LONGEST_NAME - extension.chars().count())
        .collect();
    stem + &extension
}

/// The URL's last path segment, decoded; for a script, its query's values join its stem
/// (`download.aspx?id=5&t=x` is `download-5-x.aspx`) so that each file it serves differs.
fn name_from_url(url: &str) -> Option<String> {
    let (path, query) = match url.split('#').next().unwrap_or_default().split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url.split('#').next().unwrap_or_default(), None),
    };
    let last = path.rsplit('/').next().filter(|s| !s.is_empty())?;
    let name = crate::canonical::percent_decoded(last);
    let is_script = extension_of(&name).is_some_and(|e| SCRIPT_EXTENSIONS.contains(&e.as_str()));
    let values: Vec<String> = query
        .filter(|_| is_script)
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('=').map(|(_, v)| v).or(Some(pair)))
        .filter(|v| !v.is_empty())
        .map(crate::canonical::percent_decoded)
        .collect();
    if values.is_empty() {
        return Some(name);
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((&name, ""));
    Some(format!("{stem}-{}.{extension}", values.join("-")))
}

/// The file name in a `Content-Disposition` header (RFC 6266): `filename*` (RFC 8187, in
/// UTF-8 or ISO-8859-1) before `filename`, whose value some servers (ASP.NET, Java mail
/// libraries) send as RFC 2047 encoded words (`=?UTF-8?B?...?=`); without any folder a
/// browser once sent with it.
pub fn disposition_file_name(header: &str) -> Option<String> {
    let params = parameters(header);
    let extended = params
        .iter()
        .find(|(k, _)| k == "filename*")
        .and_then(|(_, v)| extended_value(v));
    let name = extended.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k == "filename")
            .map(|(_, v)| encoded_words_decoded(v))
    })?;
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_owned())
}

/// An RFC 8187 value, `charset'language'escaped-bytes`; `None` for a charset other than
/// the two the RFC names, or bytes that are not in the charset it gives.
fn extended_value(value: &str) -> Option<String> {
    let (charset, rest) = value.split_once('\'')?;
    let (_, escaped) = rest.split_once('\'')?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(escaped).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}

/// Text with its RFC 2047 encoded words (`=?charset?B|Q?text?=`) decoded, the white space
/// between two adjacent words dropped as the RFC says; a word in an unknown charset, or
/// that does not decode, stays as written.
fn encoded_words_decoded(text: &str) -> String {
    if !text.contains("=?") {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let decoded = encoded_word(candidate);
        match decoded {
            Some((word, len)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&word);
                rest = &candidate[len..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The encoded word at the start of `text` (`=?charset?B|Q?text?=`), decoded, with the
/// length it took.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    use base64::Engine as _;
    let inner = text.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    if payload.contains(char::is_whitespace) {
        return None;
    }
    // RFC 2231 lets a language follow the charset: `UTF-8*en`.
    let charset = charset.split('*').next().unwrap_or_default();
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload))
            .ok()?,
        "Q" | "q" => q_decoded(payload)?,
        _ => return None,
    };
    let encoding = encoding_rs::Encoding::for_label(charset.as_bytes())?;
    let (word, _, had_errors) = encoding.decode(&bytes);
    let taken = text.len() - inner.len() + end + 2;
    (!had_errors).then(|| (word.into_owned(), taken))
}

/// RFC 2047's Q encoding: `_` is a space, `=XX` a byte.
fn q_decoded(payload: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(payload.len());
    let mut rest = payload.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'_' => bytes.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &rest[2..];
            }
            b => bytes.push(b),
        }
    }
    Some(bytes)
}

/// A header's `;`-separated parameters (after its first value), names lower-cased,
/// quoted values unquoted.
fn parameters(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = header.split_once(';').map_or("", |(_, r)| r);
    while !rest.trim().is_empty() {
        let (name, after) = rest.split_once('=').unwrap_or((rest, ""));
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            let next = quoted[end..].split_once(';').map_or("", |(_, r)| r);
            (value, next)
        } else {
            let (value, next) = after.split_once(';').unwrap_or((after, ""));
            (value.trim().to_owned(), next)
        };
        params.push((name.trim().to_ascii_lowercase(), value));
        rest = next;
    }
    params
}

/// A name in the characters Whitehall keeps: any other becomes `_` (CarrierWave's
/// `sanitize_regexp`, `[^[:word:].\-+]`).
pub fn sanitised(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Makes names unique, ignoring case, as Whitehall wants them on one document: a repeat
/// becomes `name-2.ext`, `name-3.ext`, in the order given.
pub fn made_unique(names: &mut [String]) {
    let mut taken: HashSet<String> = HashSet::new();
    for name in names.iter_mut() {
        if taken.insert(name.to_lowercase()) {
            continue;
        }
        let (stem, extension) = match extension_of(name) {
            Some(e) => (
                name[..name.len() - e.len() - 1].to_owned(),
                format!(".{}", &name[name.len() - e.len()..]),
            ),
            None => (name.clone(), String::new()),
        };
        let mut n = 2;
        let unique = loop {
            let candidate = format!("{stem}-{n}{extension}");
            if taken.insert(candidate.to_lowercase()) {
                break candidate;
            }
            n += 1;
        };
        *name = unique;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_server_then_the_url_with_the_types_extension() {
        let cases = [
            // An HPA file store: no extension in the URL.
            (
                "http://www.hpa.org.uk/webc/HPAwebFile/HPAweb_C/1194947395411",
                "application/pdf",
                None,
                "1194947395411.pdf",
            ),
            (
                "http://x.org/docs/Annual%20report%20(2012).pdf",
                "application/pdf",
                None,
                "Annual_report__2012_.pdf",
            ),
            // A script's name says nothing; its query tells its files apart.
            (
                "http://x.org/download.aspx?id=5&type=xl",
                "application/vnd.ms-excel",
                None,
                "download-5-xl.xls",
            ),
            // The server's own name wins, its folder dropped.
            (
                "http://x.org/download.aspx?id=5",
                "application/vnd.ms-excel",
                Some("attachment; filename=\"C:\\\\Temp\\\\Indicators 2013.xls\""),
                "Indicators_2013.xls",
            ),
            (
                "http://x.org/get.php?f=1",
                "application/pdf",
                Some(
                    "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''caf%C3%A9%20report.pdf",
                ),
                "café_report.pdf",
            ),
            ("http://x.org/a.pdf?v=2", "application/pdf", None, "a.pdf"),
            (
                "http://x.org/report.2012",
                "application/pdf",
                None,
                "report.2012.pdf",
            ),
            // An unknown type keeps the name as it is.
            (
                "http://x.org/data/README",
                "application/octet-stream",
                None,
                "README",
            ),
            ("http://x.org/", "application/pdf", None, "file-7.pdf"),
            (
                &format!("http://x.org/get.asp?q={}", "é".repeat(300)),
                "text/csv",
                None,
                &format!("get-{}.csv", "é".repeat(LONGEST_NAME - 8)),
            ),
        ];
        for (url, content_type, disposition, wanted) in cases {
            assert_eq!(
                attachment_name(url, content_type, disposition, "file-7"),
                wanted,
                "{url}"
            );
        }
    }

    #[test]
    fn content_disposition_parameters() {
        assert_eq!(
            disposition_file_name("attachment; filename=plain.csv"),
            Some("plain.csv".into())
        );
        assert_eq!(
            disposition_file_name("inline; filename=\"a \\\"q\\\" b.pdf\"; size=3"),
            Some("a \"q\" b.pdf".into())
        );
        // RFC 8187 in either charset it names; a value not in its charset is passed over.
        assert_eq!(
            disposition_file_name("attachment; filename*=ISO-8859-1'fr'caf%E9.pdf"),
            Some("café.pdf".into())
        );
        assert_eq!(
            disposition_file_name("attachment; filename*=UTF-8''caf%E9.pdf; filename=cafe.pdf"),
            Some("cafe.pdf".into())
        );
        // RFC 2047 encoded words, as ASP.NET and Java mail libraries send them.
        for (header, wanted) in [
            (
                "attachment; filename=\"=?UTF-8?B?w6l0w6kgMjAxMi5wZGY=?=\"",
                "été 2012.pdf",
            ),
            (
                "attachment; filename=\"=?iso-8859-1?q?caf=E9_report.pdf?=\"",
                "café report.pdf",
            ),
            (
                "attachment; filename=\"=?UTF-8?Q?a?= =?UTF-8?Q?b.pdf?=\"",
                "ab.pdf",
            ),
            ("attachment; filename=\"x =?UTF-8?Q?a?=.pdf\"", "x a.pdf"),
            (
                "attachment; filename=\"=?x-unknown?Q?a?=.pdf\"",
                "=?x-unknown?Q?a?=.pdf",
            ),
            (
                "attachment; filename=\"=?UTF-8?B?not base64?=\"",
                "=?UTF-8?B?not base64?=",
            ),
            ("attachment; filename=\"1=?2.pdf\"", "1=?2.pdf"),
        ] {
            assert_eq!(
                disposition_file_name(header).as_deref(),
                Some(wanted),
                "{header}"
            );
        }
        assert_eq!(disposition_file_name("attachment"), None);
        assert_eq!(disposition_file_name("attachment; filename=\"\""), None);
        assert_eq!(
            disposition_file_name("attachment; filename=\"../..\""),
            None
        );
    }

    #[test]
    fn repeats_are_numbered_ignoring_case() {
        let mut names: Vec<String> = [
            "report.pdf",
            "Report.PDF",
            "report.pdf",
            "report-2.pdf",
            "README",
            "readme",
        ]
        .map(String::from)
        .to_vec();
        made_unique(&mut names);
        assert_eq!(
            names,
            [
                "report.pdf",
                "Report-2.PDF",
                "report-3.pdf",
                "report-2-2.pdf",
                "README",
                "readme-2"
            ]
        );
    }

    #[test]
    fn whitehall_takes_its_own_extensions_only() {
        assert!(accepted_by_whitehall("a.PDF"));
        assert!(accepted_by_whitehall("ind_01.xls"));
        assert!(!accepted_by_whitehall("growthchart.swf"));
        assert!(!accepted_by_whitehall("1194947395411"));
        assert!(!accepted_by_whitehall(".pdf"));
    }
}
