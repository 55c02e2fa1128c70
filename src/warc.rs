//! WARC files (ISO 28500): reading crawls made by wget, Heritrix or the web archive, and
//! writing our own crawl as WARC 1.1 for archivists and replay tools. Records are written one
//! gzip member each (WARC 1.1 Annex D), which random access (CDX, pywb) depends on.

use std::io::{BufRead, BufReader, Read, Write};

use crate::store::sha1_digest;

/// One WARC record: its named fields and its content block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A problem in a WARC file, with the record number and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarcError {
    pub record: usize,
    pub offset: u64,
    pub message: String,
}

impl std::fmt::Display for WarcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "record {} (at byte {} of the uncompressed stream): {}",
            self.record, self.offset, self.message
        )
    }
}

/// The largest record block read into memory; bigger records are refused, not loaded.
pub const MAX_BLOCK: u64 = 512 * 1024 * 1024;

/// Reads records from a WARC file, plain or gzipped (per record or whole file).
pub struct Reader {
    input: BufReader<Box<dyn Read>>,
    offset: u64,
    count: usize,
    failed: bool,
}

impl Reader {
    pub fn new<R: Read + 'static>(input: R) -> std::io::Result<Reader> {
        let mut buffered = BufReader::new(input);
        let gzipped = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let inner: Box<dyn Read> = if gzipped {
            Box::new(flate2::read::MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(Reader {
            input: BufReader::new(inner),
            offset: 0,
            count: 0,
            failed: false,
        })
    }

    fn error(
        &mut self,
        start: u64,
        message: impl Into<String>,
    ) -> Option<Result<Record, WarcError>> {
        self.failed = true;
        Some(Err(WarcError {
            record: self.count,
            offset: start,
            message: message.into(),
        }))
    }

    fn read_line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = Vec::new();
        let n = self
            .input
            .by_ref()
            .take(64 * 1024)
            .read_until(b'\n', &mut line)?;
        self.offset += n as u64;
        if n == 0 {
            return Ok(None);
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        Ok(Some(String::from_utf8_lossy(&line).into_owned()))
    }
}

impl Iterator for Reader {
    type Item = Result<Record, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        // Skip the blank lines between records.
        let (start, version) = loop {
            let start = self.offset;
            match self.read_line() {
                Ok(None) => return None,
                Ok(Some(line)) if line.trim().is_empty() => continue,
                Ok(Some(line)) => break (start, line),
                Err(e) => return self.error(start, format!("cannot read: {e}")),
            }
        };
        self.count += 1;
        if !version.starts_with("WARC/") {
            let found = crate::diagnostic::excerpt(&version, 40);
            return self.error(
                start,
                if self.count == 1 {
                    format!(
                        "not a WARC file: it starts with {found:?} where a WARC/1.x version line should be (WARC files come from wget --warc-file, Heritrix or a web archive's export)"
                    )
                } else {
                    format!("expected a WARC/1.x version line, found {found:?}")
                },
            );
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            match self.read_line() {
                Ok(None) => return self.error(start, "file ends inside a record's headers"),
                Ok(Some(line)) if line.is_empty() => break,
                Ok(Some(line)) => {
                    if (line.starts_with(' ') || line.starts_with('\t')) && !headers.is_empty() {
                        let last = headers.len() - 1;
                        headers[last].1.push(' ');
                        headers[last].1.push_str(line.trim());
                    } else if let Some((name, value)) = line.split_once(':') {
                        headers.push((name.trim().to_owned(), value.trim().to_owned()));
                    } else {
                        return self.error(
                            start,
                            format!(
                                "malformed header line {:?}",
                                crate::diagnostic::excerpt(&line, 60)
                            ),
                        );
                    }
                }
                Err(e) => return self.error(start, format!("cannot read: {e}")),
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<u64>().ok());
        let Some(length) = length else {
            return self.error(start, "record has no valid Content-Length");
        };
        if length > MAX_BLOCK {
            return self.error(
                start,
                format!("record of {length} bytes is larger than {MAX_BLOCK}"),
            );
        }
        let mut block = Vec::with_capacity(length.min(1 << 20) as usize);
        match self.input.by_ref().take(length).read_to_end(&mut block) {
            Ok(n) if n as u64 == length => self.offset += length,
            Ok(n) => {
                return self.error(
                    start,
                    format!("record block is cut short: {n} of {length} bytes"),
                );
            }
            Err(e) => return self.error(start, format!("cannot read the record block: {e}")),
        }
        Some(Ok(Record {
            version: version.trim().to_owned(),
            headers,
            block,
        }))
    }
}

/// Writes records, each as its own gzip member.
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer { out }
    }

    /// Writes one record; `headers` must not include Content-Length or WARC-Block-Digest,
    /// which are computed here.
    pub fn write(&mut self, headers: &[(&str, String)], block: &[u8]) -> std::io::Result<()> {
        let mut text = String::from("WARC/1.1\r\n");
        for (name, value) in headers {
            text.push_str(&format!("{name}: {}\r\n", value.replace(['\r', '\n'], " ")));
        }
        text.push_str(&format!("WARC-Block-Digest: {}\r\n", sha1_digest(block)));
        text.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
        let mut gz = flate2::write::GzEncoder::new(&mut self.out, flate2::Compression::default());
        gz.write_all(text.as_bytes())?;
        gz.write_all(block)?;
        gz.write_all(b"\r\n\r\n")?;
        gz.finish()?;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// An HTTP response held in a WARC `response` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// An HTTP header as received: its value as text (see [`header_text`]), and whether that
/// text was read from ISO-8859-1 bytes, so that a WARC written from the store gives the
/// server's own bytes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
    pub latin1: bool,
}

impl HttpHeader {
    /// A header from the bytes of its name and value.
    pub fn from_bytes(name: &[u8], value: &[u8]) -> HttpHeader {
        HttpHeader {
            name: header_text(name),
            value: header_text(value),
            latin1: std::str::from_utf8(value).is_err(),
        }
    }

    /// The value's bytes as the server sent them.
    pub fn value_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        if self.latin1 {
            // Every char came from one byte (see `header_text`).
            self.value.chars().map(|c| c as u32 as u8).collect()
        } else {
            self.value.as_bytes().into()
        }
    }
}

/// The first value of header `name` (ASCII case-insensitive).
pub fn header_value<'a>(headers: &'a [HttpHeader], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// An HTTP header's bytes as text: UTF-8 when they are, else ISO-8859-1, byte for char, as
/// HTTP/1.1 first defined header text (an IIS server sends `filename=caf\xe9.pdf`): every
/// byte kept, where a lossy decoding would replace the name's letters.
pub fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Parses the HTTP message in a response record's block, undoing chunked transfer coding.
pub fn parse_http_response(block: &[u8]) -> Option<HttpResponse> {
    let head_end = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            block
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })?;
    // Line by line: one header in ISO-8859-1 leaves the others' UTF-8 as it is.
    let mut lines = block[..head_end.0]
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let status_line = header_text(lines.next()?);
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let headers: Vec<HttpHeader> = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            Some(HttpHeader::from_bytes(
                name.trim_ascii(),
                value.trim_ascii(),
            ))
        })
        .collect();
    let raw_body = &block[head_end.1..];
    let chunked = header_value(&headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(raw_body).unwrap_or_else(|| raw_body.to_vec())
    } else {
        raw_body.to_vec()
    };
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// A deterministic `urn:uuid:` record ID (a UUID version 5 shape) from a name.
pub fn record_id(name: &str) -> String {
    use sha1::Digest;
    let hash = sha1::Sha1::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The reason phrase for a status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_that_are_not_utf8_are_read_as_latin1() {
        assert_eq!(
            header_text("filename=café.pdf".as_bytes()),
            "filename=café.pdf"
        );
        assert_eq!(header_text(b"filename=caf\xe9.pdf"), "filename=café.pdf");
        let response = parse_http_response(
            b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=caf\xe9.csv\r\n\r\nbody",
        )
        .unwrap();
        assert_eq!(
            response.headers,
            [HttpHeader {
                name: "Content-Disposition".to_owned(),
                value: "attachment; filename=café.csv".to_owned(),
                latin1: true,
            }]
        );
        let mut mixed = "HTTP/1.1 200 OK\r\nX-A: café\r\nX-B: ".as_bytes().to_vec();
        mixed.extend_from_slice(b"caf\xe9\r\n\r\n");
        let mixed = parse_http_response(&mixed).unwrap();
        assert_eq!(mixed.headers[0].value, "café");
        assert_eq!(mixed.headers[1].value, "café");
        // Each is written back as it came: UTF-8 as UTF-8, ISO-8859-1 as ISO-8859-1.
        assert_eq!(&*mixed.headers[0].value_bytes(), "café".as_bytes());
        assert_eq!(&*mixed.headers[1].value_bytes(), b"caf\xe9");
    }

    #[test]
    fn write_then_read() {
        let mut writer = Writer::new(Vec::new());
        writer
            .write(
                &[
                    ("WARC-Type", "warcinfo".into()),
                    ("WARC-Record-ID", record_id("a")),
                ],
                b"software: x\r\n",
            )
            .unwrap();
        let http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>hi</p>";
        writer
            .write(
                &[
                    ("WARC-Type", "response".into()),
                    ("WARC-Target-URI", "http://a.org/".into()),
                ],
                http,
            )
            .unwrap();
        let bytes = writer.into_inner();
        let records: Vec<Record> = Reader::new(std::io::Cursor::new(bytes))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].header("warc-target-uri"), Some("http://a.org/"));
        assert_eq!(
            records[1].header("WARC-Block-Digest").unwrap(),
            sha1_digest(http)
        );
        let response = parse_http_response(&records[1].block).unwrap();
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"<p>hi</p>"[..])
        );
    }

    #[test]
    fn chunked_bodies_and_broken_files() {
        let http = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
        assert_eq!(parse_http_response(http).unwrap().body, b"Wikipedia");
        let cut = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 100\r\n\r\nshort".to_vec();
        let results: Vec<_> = Reader::new(std::io::Cursor::new(cut)).unwrap().collect();
        assert!(matches!(&results[0], Err(e) if e.message.contains("cut short")));
        let junk = b"<html>not a warc</html>".to_vec();
        assert!(
            Reader::new(std::io::Cursor::new(junk))
                .unwrap()
                .next()
                .unwrap()
                .is_err()
        );
        assert!(parse_http_response(b"garbage").is_none());
    }

    #[test]
    fn record_ids_are_uuids() {
        let id = record_id("x");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(id, record_id("x"));
        assert_eq!(&id[24..25], "5");
    }
}
