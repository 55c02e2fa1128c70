//! `verify`: asks a live server (nginx, Apache, a CDN, `serve`) for every legacy URL in a
//! table and lists each answer that differs from it: status, Location, and on 410 and 404
//! pages the web-archive link. Requests go out on a few kept-alive connections, with the
//! legacy Host header and no redirect following; the comparison itself is pure.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One URL and what the table says a server must answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    pub archive_url: Option<String>,
}

/// What a server answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// An answer that differs from the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub url: String,
    pub expected: String,
    pub got: String,
}

#[derive(Deserialize)]
struct TableFile {
    entries: Vec<TableEntry>,
}

#[derive(Deserialize)]
struct TableEntry {
    urls: Vec<TableUrl>,
}

#[derive(Deserialize)]
struct TableUrl {
    url: String,
    status: u16,
    location: Option<String>,
    archive_url: Option<String>,
}

/// Reads the JSON a `report redirects --format json` wrote.
pub fn load(path: &Path) -> Result<Vec<Expectation>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Usage(format!(
            "{}: not UTF-8 text, so not a table: verify reads the JSON `phe-migrate report redirects SITE --format json` writes",
            path.display()
        ))
    })?;
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    if header.to_ascii_lowercase().starts_with("old url,") {
        // Transition's CSV says where each URL goes, not what a server must answer (the
        // archive link of a 410 is built from the site config): the JSON has both.
        let site = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("SITE");
        return Err(Error::Usage(format!(
            "{}: this is a Transition CSV; verify reads the JSON table, which holds each URL's \
             expected answer: write it with `phe-migrate report redirects {site} --format json \
             -o {}` and verify that",
            path.display(),
            path.with_extension("json").display()
        )));
    }
    let table: TableFile = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}:{}:{}: {} (verify reads the table `phe-migrate report redirects SITE --format json` writes)",
            path.display(),
            e.line(),
            e.column(),
            crate::diagnostic::json_problem(&e)
        ))
    })?;
    let mut out: Vec<Expectation> = table
        .entries
        .into_iter()
        .flat_map(|e| e.urls)
        .map(|u| Expectation {
            url: u.url,
            status: u.status,
            location: u.location,
            archive_url: u.archive_url,
        })
        .collect();
    out.sort_by(|a, b| a.url.cmp(&b.url));
    out.dedup_by(|a, b| a.url == b.url);
    Ok(out)
}

fn describe(status: u16, location: Option<&str>) -> String {
    match location {
        Some(l) => format!("{status} → {l}"),
        None => status.to_string(),
    }
}

/// Decodes the few entities an escaped URL in an attribute can hold.
fn unescape_attr(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Compares one answer with the table.
pub fn compare(expected: &Expectation, got: &Observed) -> Option<Mismatch> {
    let want = describe(expected.status, expected.location.as_deref());
    let have = describe(got.status, got.location.as_deref());
    if want != have {
        return Some(Mismatch {
            url: expected.url.clone(),
            expected: want,
            got: have,
        });
    }
    if let Some(archive) = &expected.archive_url
        && matches!(expected.status, 404 | 410)
    {
        let linked = got
            .body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .any(|href| unescape_attr(href) == *archive);
        if !linked {
            return Some(Mismatch {
                url: expected.url.clone(),
                expected: format!("{want} linking to {archive}"),
                got: format!("{have} without that link"),
            });
        }
    }
    None
}

/// How a raw URL goes on the wire: its Host header, its request target, and whether the
/// target had to be percent-encoded as a browser would (then the archive link on the page
/// names the encoded form, so it is not compared).
struct Wire {
    host: String,
    target: String,
    encoded: bool,
}

/// `None` for a URL no client can send: it holds control characters.
fn wire(url: &str) -> Option<Wire> {
    let (host, rest) = super::raw_parts(url);
    if url.chars().any(char::is_control) {
        return None;
    }
    let target = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    if target.parse::<hyper::Uri>().is_ok() {
        return Some(Wire {
            host: host.to_owned(),
            target,
            encoded: false,
        });
    }
    let mut encoded = String::with_capacity(target.len() + 16);
    for byte in target.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(Wire {
        host: host.to_owned(),
        target: encoded,
        encoded: true,
    })
}

/// Settings for a run.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    pub target: SocketAddr,
    pub concurrency: usize,
    pub timeout: Duration,
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub checked: usize,
    pub mismatches: Vec<Mismatch>,
    /// Hosts whose every URL got one and the same wrong answer: the server is not set up
    /// for them, and their URLs' differences say nothing one by one.
    pub unanswered_hosts: Vec<UnansweredHost>,
    /// URLs no client can send (control characters): listed, not failed.
    pub unrequestable: Vec<String>,
    pub elapsed_ms: u128,
}

/// A host the server gives one answer whatever the URL (a default server's 404, a
/// blanket redirect to HTTPS), where the table wants others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnansweredHost {
    pub host: String,
    pub urls: usize,
    pub got: String,
}

/// How many URLs each host has among those checked.
pub fn urls_by_host(checked: &[Expectation]) -> BTreeMap<String, usize> {
    let mut by_host = BTreeMap::new();
    for e in checked {
        *by_host
            .entry(super::raw_parts(&e.url).0.to_owned())
            .or_default() += 1;
    }
    by_host
}

/// The hosts whose URLs all differ, each with the same answer. A host with fewer than three
/// URLs is left out: two alike answers prove nothing.
pub fn unanswered_hosts(
    urls_by_host: &BTreeMap<String, usize>,
    mismatches: &[Mismatch],
) -> Vec<UnansweredHost> {
    let mut answers: BTreeMap<&str, (usize, Option<&str>, bool)> = BTreeMap::new();
    for m in mismatches {
        let (count, first, alike) = answers
            .entry(super::raw_parts(&m.url).0)
            .or_insert((0, None, true));
        *count += 1;
        *alike &= first.is_none_or(|f| f == m.got);
        first.get_or_insert(m.got.as_str());
    }
    answers
        .into_iter()
        .filter_map(|(host, (count, got, alike))| {
            let urls = urls_by_host.get(host).copied().unwrap_or(0);
            (alike && count == urls && urls >= 3).then(|| UnansweredHost {
                host: host.to_owned(),
                urls,
                got: got.unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// Requests every URL and compares each answer.
pub fn run(expectations: Vec<Expectation>, options: &VerifyOptions) -> Result<Report> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("cannot start the verify runtime: {e}")))?;
    let (expectations, unsendable): (Vec<_>, Vec<_>) = expectations
        .into_iter()
        .partition(|e| wire(&e.url).is_some());
    let unrequestable: Vec<String> = unsendable.into_iter().map(|e| e.url).collect();
    let checked = expectations.len();
    let hosts = urls_by_host(&expectations);
    let queue = Arc::new(Mutex::new(VecDeque::from(expectations)));
    let mismatches = Arc::new(Mutex::new(Vec::new()));
    runtime.block_on(async {
        let mut workers = Vec::new();
        for _ in 0..options.concurrency.max(1) {
            let queue = queue.clone();
            let mismatches = mismatches.clone();
            let options = options.clone();
            workers.push(tokio::spawn(async move {
                worker(queue, mismatches, options).await;
            }));
        }
        for w in workers {
            let _ = w.await;
        }
    });
    let mut mismatches = std::mem::take(&mut *mismatches.lock().unwrap_or_else(|p| p.into_inner()));
    mismatches.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(Report {
        checked,
        unanswered_hosts: unanswered_hosts(&hosts, &mismatches),
        mismatches,
        unrequestable,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(target: SocketAddr) -> std::io::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(target).await?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn worker(
    queue: Arc<Mutex<VecDeque<Expectation>>>,
    mismatches: Arc<Mutex<Vec<Mismatch>>>,
    options: VerifyOptions,
) {
    let mut sender: Option<Sender> = None;
    loop {
        let Some(expected) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
            return;
        };
        let mut result = Err("not requested".to_owned());
        // One retry on a fresh connection: a server may close a kept-alive one at any time.
        for _ in 0..2 {
            result = fetch(&mut sender, &expected, &options).await;
            if result.is_ok() {
                break;
            }
            sender = None;
        }
        let mismatch = match result {
            Ok((observed, false)) => compare(&expected, &observed),
            Ok((observed, true)) => compare(
                &Expectation {
                    archive_url: None,
                    ..expected.clone()
                },
                &observed,
            ),
            Err(e) => Some(Mismatch {
                url: expected.url.clone(),
                expected: describe(expected.status, expected.location.as_deref()),
                got: format!("no answer: {e}"),
            }),
        };
        if let Some(m) = mismatch
            && let Ok(mut all) = mismatches.lock()
        {
            all.push(m);
        }
    }
}

async fn fetch(
    sender: &mut Option<Sender>,
    expected: &Expectation,
    options: &VerifyOptions,
) -> std::result::Result<(Observed, bool), String> {
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        *sender = Some(
            connect(options.target)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", options.target))?,
        );
    }
    let Some(s) = sender.as_mut() else {
        return Err("no connection".into());
    };
    s.ready().await.map_err(|e| e.to_string())?;
    let Some(wire) = wire(&expected.url) else {
        return Err("holds control characters".into());
    };
    let request = hyper::Request::get(wire.target.as_str())
        .header(header::HOST, wire.host)
        .header(
            header::USER_AGENT,
            concat!("phe-migrate-verify/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("cannot be requested as written: {e}"))?;
    let exchange = async {
        let response = s.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = if matches!(status, 404 | 410) {
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            // Drain it so the connection can be reused.
            let _ = response.into_body().collect().await;
            String::new()
        };
        Ok::<_, String>((
            Observed {
                status,
                location,
                body,
            },
            wire.encoded,
        ))
    };
    tokio::time::timeout(options.timeout, exchange)
        .await
        .map_err(|_| format!("no answer within {:?}", options.timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(url: &str) -> Expectation {
        Expectation {
            url: url.into(),
            status: 301,
            location: Some("https://www.gov.uk/".into()),
            archive_url: None,
        }
    }

    fn differs(url: &str, got: &str) -> Mismatch {
        Mismatch {
            url: url.into(),
            expected: "301 → https://www.gov.uk/".into(),
            got: got.into(),
        }
    }

    #[test]
    fn a_host_is_unanswered_only_when_every_url_got_one_wrong_answer() {
        let checked: Vec<Expectation> = [
            "http://a.org/1",
            "http://a.org/2",
            "http://a.org/3",
            "http://b.org/1",
            "http://b.org/2",
            "http://b.org/3",
            "http://c.org/1",
            "http://c.org/2",
            "http://c.org/3",
            "http://d.org/1",
            "http://d.org/2",
        ]
        .iter()
        .map(|u| expect(u))
        .collect();
        let mismatches = [
            // Every URL, one answer: not set up for a.org.
            differs("http://a.org/1", "404"),
            differs("http://a.org/2", "404"),
            differs("http://a.org/3", "404"),
            // Different answers: the server knows b.org, its table is wrong.
            differs("http://b.org/1", "404"),
            differs("http://b.org/2", "410"),
            differs("http://b.org/3", "404"),
            // One URL right: c.org is served.
            differs("http://c.org/1", "404"),
            differs("http://c.org/2", "404"),
            // Too few URLs to tell.
            differs("http://d.org/1", "404"),
            differs("http://d.org/2", "404"),
        ];
        assert_eq!(
            unanswered_hosts(&urls_by_host(&checked), &mismatches),
            [UnansweredHost {
                host: "a.org".into(),
                urls: 3,
                got: "404".into()
            }]
        );
    }
}
