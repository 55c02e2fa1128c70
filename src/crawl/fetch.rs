//! HTTP for the crawler: one request at a time per permit of a host's gate, redirects never
//! followed (each hop is recorded by the caller), bodies read up to a cap, and transient
//! failures (timeouts, resets, 5xx, 429) retried with capped exponential backoff and
//! Retry-After.
//!
//! `--resolve HOST=IP:PORT` keeps the logical URL (what is recorded) apart from the transport
//! address (where the connection goes): the request is sent to IP:PORT with `Host: HOST`.
//! Only such named hosts may be on loopback or a private network (see `address`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HOST, HeaderValue, RETRY_AFTER};
use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use url::Url;

use crate::warc::{HttpHeader, header_value};

/// Politeness for one host: at most `permits` requests in flight, and request starts at
/// least `delay` apart.
pub struct HostGate {
    permits: Semaphore,
    next_start: Mutex<Instant>,
    delay: Duration,
}

impl HostGate {
    pub fn new(concurrency: u32, delay: Duration) -> HostGate {
        HostGate {
            permits: Semaphore::new(concurrency.max(1) as usize),
            next_start: Mutex::new(Instant::now()),
            delay,
        }
    }

    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("gate semaphore is never closed");
        if !self.delay.is_zero() {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until((*next).into()).await;
            }
            *next = Instant::now().max(*next) + self.delay;
        }
        permit
    }
}

/// How much of a response body to read.
#[derive(Clone, Copy, Debug)]
pub enum BodyLimit {
    /// A HEAD request: no body.
    Head,
    /// Read HTML (and untyped) bodies up to `page`; other types up to `other`, or not at all
    /// when `other` is `None`.
    ByType { page: u64, other: Option<u64> },
    /// Read any body up to this many bytes (robots.txt, sitemaps).
    Any(u64),
}

/// One request's result (after retries).
#[derive(Clone, Debug)]
pub struct Exchange {
    pub url: Url,
    pub method: &'static str,
    pub status: Option<u16>,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
    /// Whether the body was read at all (false for HEAD or a skipped attachment body).
    pub body_read: bool,
    pub truncated: bool,
    pub error: Option<String>,
    pub attempts: u32,
    /// Errors of attempts that were retried.
    pub retried_errors: Vec<String>,
    pub elapsed: Duration,
    pub fetched_at: SystemTime,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The absolute target of a 3xx response, if it has a usable Location.
    pub fn redirect_target(&self) -> Option<Url> {
        let status = self.status?;
        if !(300..400).contains(&status) || status == 304 {
            return None;
        }
        let mut target = self.url.join(self.header("location")?.trim()).ok()?;
        target.set_fragment(None);
        Some(target)
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    resolve: HashMap<String, SocketAddr>,
    retries: u32,
    retry_base: Duration,
}

/// The longest wait between retries (also caps Retry-After).
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Fetcher {
    pub fn new(
        user_agent: &str,
        timeout: Duration,
        retries: u32,
        retry_base: Duration,
        resolve: HashMap<String, SocketAddr>,
    ) -> Result<Fetcher, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(15)))
            .pool_max_idle_per_host(16)
            .tcp_nodelay(true)
            .dns_resolver(super::address::PublicOnly)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Fetcher {
            client,
            resolve: resolve
                .into_iter()
                .map(|(h, a)| (h.to_ascii_lowercase(), a))
                .collect(),
            retries,
            retry_base,
        })
    }

    /// Fetches `url`, retrying transient failures; every attempt goes through `gate`.
    pub async fn fetch(&self, url: &Url, limit: BodyLimit, gate: &HostGate) -> Exchange {
        let started = Instant::now();
        let fetched_at = SystemTime::now();
        let mut retried_errors = Vec::new();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = gate.acquire().await;
            let result = self.attempt(url, limit).await;
            drop(permit);
            let (transient, wait_hint) = match &result {
                Ok(a) => (
                    matches!(a.status, 429 | 500 | 502 | 503 | 504) || a.error.is_some(),
                    a.retry_after,
                ),
                Err(e) => (!e.contains(super::address::REFUSED), None),
            };
            if transient && attempt <= self.retries {
                retried_errors.push(match &result {
                    Ok(a) => a
                        .error
                        .clone()
                        .unwrap_or_else(|| format!("HTTP {}", a.status)),
                    Err(e) => e.clone(),
                });
                let backoff = self
                    .retry_base
                    .saturating_mul(1 << (attempt - 1).min(10))
                    .min(MAX_BACKOFF);
                let wait = wait_hint.map_or(backoff, |w| {
                    w.min(MAX_BACKOFF)
                        .max(backoff.min(Duration::from_millis(100)))
                });
                tokio::time::sleep(wait).await;
                continue;
            }
            let (method, status, headers, body, body_read, truncated, error) = match result {
                Ok(a) => (
                    a.method,
                    Some(a.status),
                    a.headers,
                    a.body,
                    a.body_read,
                    a.truncated,
                    a.error,
                ),
                Err(e) => ("GET", None, Vec::new(), Vec::new(), false, false, Some(e)),
            };
            return Exchange {
                url: url.clone(),
                method,
                status,
                headers,
                body,
                body_read,
                truncated,
                error,
                attempts: attempt,
                retried_errors,
                elapsed: started.elapsed(),
                fetched_at,
            };
        }
    }

    /// One request. `Err` when no response arrived; a response whose body failed midway is
    /// `Ok` with `error` set.
    async fn attempt(&self, url: &Url, limit: BodyLimit) -> Result<Attempt, String> {
        let head = matches!(limit, BodyLimit::Head);
        let mut attempt = self.send(url, head).await?;
        // Servers that refuse HEAD get a GET whose body we do not read.
        if head && matches!(attempt.0.status().as_u16(), 405 | 501) {
            attempt = self.send(url, false).await?;
            return read(
                attempt,
                BodyLimit::ByType {
                    page: 0,
                    other: None,
                },
                false,
            )
            .await;
        }
        read(attempt, limit, head).await
    }

    async fn send(
        &self,
        url: &Url,
        head: bool,
    ) -> Result<(reqwest::Response, &'static str), String> {
        let method = if head {
            reqwest::Method::HEAD
        } else {
            reqwest::Method::GET
        };
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut request = match self.resolve.get(&host) {
            Some(addr) if url.scheme() == "http" => {
                let mut transport = url.clone();
                let _ = transport.set_ip_host(addr.ip());
                let _ = transport.set_port(Some(addr.port()));
                let host_header = match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.clone(),
                };
                self.client.request(method, transport).header(
                    HOST,
                    HeaderValue::from_str(&host_header).map_err(|e| e.to_string())?,
                )
            }
            _ => {
                if let Some(ip) = literal_ip(url).filter(|ip| !super::address::is_public(*ip)) {
                    return Err(super::address::refusal(&host, &[ip]));
                }
                self.client.request(method, url.clone())
            }
        };
        request = request.header(
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        );
        let response = request.send().await.map_err(describe)?;
        Ok((response, if head { "HEAD" } else { "GET" }))
    }
}

struct Attempt {
    method: &'static str,
    status: u16,
    headers: Vec<HttpHeader>,
    body: Vec<u8>,
    body_read: bool,
    truncated: bool,
    error: Option<String>,
    retry_after: Option<Duration>,
}

async fn read(
    (mut response, method): (reqwest::Response, &'static str),
    limit: BodyLimit,
    head: bool,
) -> Result<Attempt, String> {
    let status = response.status().as_u16();
    let headers: Vec<HttpHeader> = response
        .headers()
        .iter()
        .map(|(n, v)| HttpHeader::from_bytes(n.as_str().as_bytes(), v.as_bytes()))
        .collect();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let cap = match limit {
        BodyLimit::Head => None,
        BodyLimit::Any(n) => Some(n),
        BodyLimit::ByType { page, other } => {
            if super::scope::is_html_type(&content_type)
                || (300..400).contains(&status)
                || status >= 400
            {
                Some(page.max(64 * 1024))
            } else {
                other
            }
        }
    };
    let mut attempt = Attempt {
        method,
        status,
        headers,
        body: Vec::new(),
        body_read: false,
        truncated: false,
        error: None,
        retry_after,
    };
    let Some(cap) = cap.filter(|_| !head) else {
        return Ok(attempt);
    };
    attempt.body_read = true;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap.saturating_sub(attempt.body.len() as u64) as usize;
                if chunk.len() > room {
                    attempt.body.extend_from_slice(&chunk[..room]);
                    attempt.truncated = true;
                    break;
                }
                attempt.body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                attempt.error = Some(format!("body: {}", describe(e)));
                break;
            }
        }
    }
    Ok(attempt)
}

/// The address a URL names directly (`http://10.0.0.1/`), which no resolver sees.
fn literal_ip(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A short, specific description of a transport failure.
fn describe(e: reqwest::Error) -> String {
    use std::error::Error as _;
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    if cause.is_empty() {
        format!("{kind}: {e}")
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
