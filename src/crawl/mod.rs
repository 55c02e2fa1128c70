//! The crawl stage: a polite, complete, resumable crawl of one legacy site into its store.
//!
//! Shape (after lychee): `scope` decides what may be fetched, `fetch` does HTTP with per-host
//! gates and retries, `robots` and `sitemap` read those files, `extract` finds links, and the
//! store holds the frontier. One thread owns the store and commits each batch of results in
//! a transaction; fetches run as tasks on a small tokio runtime. Memory stays flat: the
//! frontier and the set of known URLs live in SQLite, not in memory.

pub mod address;
pub mod archive;
pub mod fetch;
pub mod frontier;
pub mod robots;
pub mod scope;
pub mod sitemap;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use self::fetch::{BodyLimit, Exchange, Fetcher, HostGate};
use self::robots::Robots;
use self::scope::{Scope, SkipReason, is_html_type};
use crate::canonical::{Canonicalizer, Mode};
use crate::config::Site;
use crate::config::settings::AttachmentPolicy;
use crate::error::{Error, Result};
use crate::extract::{charset, links};
use crate::store::{self, FetchRecord, Job, Store, StoredBody};

use self::frontier::{Found, Frontier};

/// How to run a crawl, beyond the site's own settings.
#[derive(Clone, Debug, Default)]
pub struct CrawlOptions {
    /// The output folder; the store is `<out>/<abbr>/crawl.db`.
    pub out_dir: PathBuf,
    /// Connect to these addresses for these host names (`--resolve HOST=IP:PORT`).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Discard an existing store and start again.
    pub fresh: bool,
    /// Override the site's `max_pages`.
    pub max_pages: Option<u64>,
    /// Override the site's `max_depth` (0 with an imported URL list: list mode).
    pub max_depth: Option<u32>,
    /// Override the site's per-host concurrency.
    pub concurrency: Option<u32>,
    /// No pause between requests (for loopback benchmarks); robots.txt is still obeyed.
    pub no_delay: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Base of the retry backoff (default 500 ms).
    pub retry_base: Option<Duration>,
}

/// `--resolve` for one site: `*` stands for each of the site's hosts; a host named outright
/// keeps its own address.
pub fn resolve_for_site(
    resolve: &[(String, SocketAddr)],
    site: &Site,
) -> HashMap<String, SocketAddr> {
    let mut by_host = HashMap::new();
    if let Some((_, addr)) = resolve.iter().rev().find(|(host, _)| host == "*") {
        by_host.extend(site.hosts().map(|host| (host.to_ascii_lowercase(), *addr)));
    }
    by_host.extend(resolve.iter().filter(|(host, _)| host != "*").cloned());
    by_host
}

/// Where a site's crawl store lives.
pub fn store_path(out_dir: &Path, abbr: &str) -> PathBuf {
    out_dir.join(abbr).join("crawl.db")
}

/// What a crawl did, for the terminal and for scripts.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CrawlSummary {
    pub site: String,
    pub store: PathBuf,
    /// Fetched pages by final status ("error" when no response came).
    pub pages_by_status: Vec<(String, u64)>,
    pub pages: u64,
    pub attachments: u64,
    pub attachment_bytes: u64,
    pub bytes: u64,
    pub redirects: u64,
    pub redirect_chains: u64,
    pub redirect_loops: u64,
    /// URLs recorded but not fetched, by reason (robots, traps, caps).
    pub skipped: Vec<(String, u64)>,
    pub failed: u64,
    pub retries: u64,
    pub fetched_this_run: u64,
    pub elapsed_secs: f64,
    /// The most recent failed request and why, for the message when nothing was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl CrawlSummary {
    /// No page fetched, because requests failed (no network, a wrong host name, a server
    /// that is down).
    fn fetched_nothing(&self) -> bool {
        self.pages == 0 && self.failed > 0
    }

    /// When [`fetched_nothing`](Self::fetched_nothing): what happened and what to do.
    pub fn unreachable(&self, host: &str) -> Option<String> {
        self.fetched_nothing().then(|| {
            let cause = self
                .last_error
                .as_deref()
                .map(|e| format!(" (last: {e})"))
                .unwrap_or_default();
            format!(
                "{host} could not be reached: {} failed request(s), no page fetched{cause}; check the host name and your network, or point it at a copy with --resolve {host}=IP:PORT",
                self.failed
            )
        })
    }
}

impl fmt::Display for CrawlSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.fetched_nothing() {
            "crawl ended with no page fetched"
        } else {
            "crawl complete"
        };
        writeln!(f, "{}: {outcome} ({})", self.site, self.store.display())?;
        let statuses: Vec<String> = self
            .pages_by_status
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        if statuses.is_empty() {
            writeln!(f, "  pages        {}", self.pages)?;
        } else {
            writeln!(f, "  pages        {} ({})", self.pages, statuses.join(", "))?;
        }
        writeln!(
            f,
            "  attachments  {} ({})",
            self.attachments,
            human_bytes(self.attachment_bytes)
        )?;
        writeln!(
            f,
            "  redirects    {} ({} chains, {} loops)",
            self.redirects, self.redirect_chains, self.redirect_loops
        )?;
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        let total_skipped: u64 = self.skipped.iter().map(|(_, n)| n).sum();
        writeln!(
            f,
            "  not fetched  {total_skipped}{}",
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" ({})", skipped.join(", "))
            }
        )?;
        writeln!(
            f,
            "  errors       {} failed, {} retries",
            self.failed, self.retries
        )?;
        let rate = if self.elapsed_secs > 0.0 {
            self.fetched_this_run as f64 / self.elapsed_secs
        } else {
            0.0
        };
        // The store's bytes are every run's: a resumed crawl's own line would otherwise
        // seem to have downloaded them all.
        writeln!(f, "  downloaded   {} (every run)", human_bytes(self.bytes))?;
        write!(
            f,
            "  this run     {} requests, {:.1} s ({rate:.0}/s)",
            self.fetched_this_run, self.elapsed_secs
        )
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// The largest robots.txt or sitemap read.
const CONTROL_FILE_LIMIT: u64 = sitemap::MAX_SITEMAP_BYTES;
/// How often the crawl commits what it has recorded (see the main loop).
const COMMIT_INTERVAL: Duration = Duration::from_millis(100);

/// Shared by the fetch tasks.
struct TaskContext {
    fetcher: Fetcher,
    gates: HashMap<String, HostGate>,
    fallback_gate: HostGate,
    canonical: Canonicalizer,
    scope: Scope,
    max_body: u64,
    attachment_limit: Option<u64>,
    attachment_policy: AttachmentPolicy,
    robots: Robots,
    max_query_variants: usize,
    /// Forms already turned into URLs: a form in every page's header is expanded once.
    forms_seen: std::sync::Mutex<HashSet<links::Form>>,
}

impl TaskContext {
    fn gate(&self, host: &str) -> &HostGate {
        self.gates
            .get(&host.to_ascii_lowercase())
            .unwrap_or(&self.fallback_gate)
    }
}

/// What a fetch task found.
struct Outcome {
    job: Job,
    /// The hop number of the first exchange (non-zero when continuing an imported page).
    first_hop: u32,
    hops: Vec<Exchange>,
    page: Option<PageInfo>,
    sitemap: Option<std::result::Result<sitemap::Sitemap, String>>,
    prepared: Prepared,
    /// robots.txt disallows the URL: nothing was fetched.
    blocked_by_robots: bool,
}

/// What the writer thread needs from a result, worked out beforehand on the fetch worker:
/// compressed bodies and digests, and the scope verdict and key of every URL found.
#[derive(Default)]
struct Prepared {
    /// Per hop: the body to store, if one was read.
    bodies: Vec<Option<StoredBody>>,
    /// Per hop: the headers, as the store keeps them.
    headers: Vec<String>,
    redirect: Option<Found>,
    refresh: Option<Found>,
    /// One per page link, in order.
    links: Vec<Found>,
    /// The URLs the page's forms make, for forms not seen before.
    form_links: Vec<Found>,
    sitemap: Vec<Found>,
}

fn prepare(outcome: &Outcome, canonical: &Canonicalizer, scope: &Scope) -> Prepared {
    let found = |url: &Url| Found::new(url, canonical, scope);
    Prepared {
        bodies: outcome
            .hops
            .iter()
            .map(|h| h.body_read.then(|| StoredBody::new(&h.body)))
            .collect(),
        headers: outcome
            .hops
            .iter()
            .map(|h| store::headers_json(&h.headers))
            .collect(),
        redirect: outcome
            .hops
            .last()
            .and_then(Exchange::redirect_target)
            .map(|u| found(&u)),
        refresh: outcome
            .page
            .as_ref()
            .and_then(|p| p.meta_refresh.as_ref())
            .map(found),
        links: outcome
            .page
            .as_ref()
            .map(|p| p.links.iter().map(|l| found(&l.url)).collect())
            .unwrap_or_default(),
        form_links: Vec::new(),
        sitemap: match &outcome.sitemap {
            Some(Ok(map)) => map
                .locations
                .iter()
                .filter_map(|l| Url::parse(l).ok())
                .map(|u| found(&u))
                .collect(),
            _ => Vec::new(),
        },
    }
}

/// Whether the store's robots.txt could not be fetched at all (no answer, only errors).
fn robots_failed(path: &Path) -> Result<bool> {
    let store = Store::open_existing(path)?;
    Ok(store.count("SELECT COUNT(*) FROM urls WHERE kind = 'robots' AND state = 'failed'")? > 0)
}

struct PageInfo {
    title: Option<String>,
    canonical: Option<Url>,
    meta_refresh: Option<Url>,
    links: Vec<links::Link>,
    forms: Vec<links::Form>,
    charset: &'static str,
    charset_source: &'static str,
}

/// Crawls one site into `<out>/<abbr>/crawl.db`, resuming a previous crawl if there is one.
pub fn crawl(site: &Site, options: &CrawlOptions) -> Result<CrawlSummary> {
    let started = Instant::now();
    let mut adjusted;
    let site = match options.max_depth {
        Some(depth) => {
            adjusted = site.clone();
            adjusted.crawl.max_depth = depth;
            &adjusted
        }
        None => site,
    };
    let path = store_path(&options.out_dir, &site.abbr);
    // A crawl that could not read robots.txt fetched nothing (everything was disallowed),
    // so it starts again rather than resuming a frontier of skipped URLs.
    let fresh = options.fresh || (path.is_file() && robots_failed(&path)?);
    if fresh {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| Error::io(&file, e))?;
            }
        }
    }
    let store = open_site_store(site, &options.out_dir)?;
    store.requeue_in_flight()?;
    // What failed last time is tried again: the network or the site may be back.
    store.requeue_failed()?;
    // A cap raised since the last run lets through what it held back.
    store.requeue_capped(site.crawl.max_depth)?;
    store.skip_reference_checks()?;
    store.set_meta("user_agent", &site.crawl.user_agent)?;

    let crawl = &site.crawl;
    let concurrency = options.concurrency.unwrap_or(crawl.concurrency).max(1);
    let config_delay = if options.no_delay {
        Duration::ZERO
    } else {
        Duration::from_millis(crawl.delay_ms)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("cannot start the async runtime: {e}")))?;
    let resolve = resolve_for_site(&options.resolve, site);
    let make_context = |delay: Duration| -> Result<TaskContext> {
        let fetcher = Fetcher::new(
            &crawl.user_agent,
            Duration::from_secs(crawl.timeout_secs),
            crawl.retries,
            options.retry_base.unwrap_or(Duration::from_millis(500)),
            resolve.clone(),
        )
        .map_err(Error::Other)?;
        Ok(TaskContext {
            fetcher,
            gates: site
                .hosts()
                .map(|h| (h.to_owned(), HostGate::new(concurrency, delay)))
                .collect(),
            fallback_gate: HostGate::new(concurrency, delay),
            canonical: site.canonicalizer(Mode::Govuk),
            scope: Scope::new(site)?,
            max_body: crawl.max_body_bytes.0,
            attachment_limit: (crawl.attachments == AttachmentPolicy::Download)
                .then_some(crawl.attachment_max_bytes.0),
            attachment_policy: crawl.attachments,
            robots: Robots::AllowAll,
            max_query_variants: crawl.max_query_variants as usize,
            forms_seen: std::sync::Mutex::default(),
        })
    };

    // robots.txt first: nothing else is fetched before its rules are known.
    let bootstrap = make_context(config_delay)?;
    let mut frontier = Frontier::new(site, &store)?;
    let origin = format!("http://{}", site.host);
    let robots_url =
        Url::parse(&format!("{origin}/robots.txt")).map_err(|e| Error::Other(e.to_string()))?;
    let robots_id = store
        .transaction(|s| {
            frontier.discover_url(s, &robots_url, 0, "robots", None, Some("robots"), false)
        })?
        .0;
    if let Some(id) = robots_id
        && store.final_fetch(id)?.is_none()
    {
        let job = Job {
            id,
            key: "/robots.txt".into(),
            url: robots_url.to_string(),
            depth: 0,
            kind: "robots".into(),
        };
        let outcome = runtime.block_on(process(Arc::new(bootstrap), job));
        // A site on loopback or a private network is refused as a whole, before anything
        // is recorded, so that the same command with --resolve starts cleanly.
        if let Some(refused) = outcome
            .hops
            .iter()
            .filter_map(|h| h.error.as_deref())
            .find(|e| e.contains(address::REFUSED))
        {
            let reason = &refused[refused.find(address::REFUSED).unwrap_or(0)..];
            return Err(Error::Other(format!("{}: {reason}", site.abbr)));
        }
        store.transaction(|s| apply(s, &mut frontier, outcome))?;
    }
    let robots = match robots_id
        .map(|id| store.final_fetch(id))
        .transpose()?
        .flatten()
    {
        Some(f) => Robots::from_response(
            robots::agent_token(&crawl.user_agent),
            f.status,
            f.body.as_deref().unwrap_or_default(),
        ),
        None => Robots::AllowAll,
    };
    let robots = match crawl.robots {
        crate::config::settings::RobotsPolicy::Obey => robots,
        crate::config::settings::RobotsPolicy::Ignore => Robots::AllowAll,
    };
    let delay = match (options.no_delay, robots.crawl_delay()) {
        (false, Some(crawl_delay)) => config_delay.max(crawl_delay),
        _ => config_delay,
    };
    let sitemaps_from_robots = robots.sitemaps();
    let mut context = make_context(delay)?;
    context.robots = robots;
    let context = Arc::new(context);

    // Seed the frontier once; a resumed crawl keeps its own.
    if store.meta("seeded")?.is_none() {
        store.transaction(|s| {
            let mut starts = vec![(format!("{origin}/"), "start", None)];
            for seed in &crawl.seeds {
                starts.push((absolute(&origin, seed), "seed", None));
            }
            for sitemap in crawl
                .sitemaps
                .iter()
                .map(|s| absolute(&origin, s))
                .chain([format!("{origin}/sitemap.xml")])
                .chain(sitemaps_from_robots.iter().cloned())
            {
                starts.push((sitemap, "sitemap", Some("sitemap")));
            }
            for (raw, source, kind) in starts {
                if let Ok(url) = Url::parse(&raw) {
                    frontier.discover_url(s, &url, 0, source, None, kind, false)?;
                }
            }
            s.set_meta("seeded", "1")
        })?;
    }

    let progress = Progress::new(options.progress, &site.abbr);
    let max_pages = options.max_pages.unwrap_or(crawl.max_pages);
    let mut fetched_pages = store.count("SELECT COUNT(*) FROM urls WHERE state IN ('done', 'failed') AND kind IN ('page', 'attachment')")?;
    // Jobs queued beyond the connections keep every connection busy while results are
    // parsed and committed (a commit can take longer than 16 jobs a connection last); the
    // per-host limits still decide what is requested when.
    let max_in_flight = concurrency as usize * 64 + 16;
    let (tx, rx) = mpsc::channel::<Outcome>();
    let mut in_flight = 0usize;
    let mut fetched_this_run = 0u64;
    let mut hit_max_pages = false;
    let mut checkpoints = store.background_checkpoints()?;
    let mut failed = 0u64;
    let mut results: Vec<Outcome> = Vec::new();
    // Results are committed in groups, every COMMIT_INTERVAL: each commit writes every page
    // it touched to the WAL, so few large commits write far less than many small ones. A
    // kill loses at most the last interval's results, whose URLs are simply fetched again.
    store.begin()?;
    let mut last_commit = Instant::now();
    loop {
        // Record the results that came back and claim the next jobs, in the open transaction.
        let room = max_in_flight.saturating_sub(in_flight);
        let claim_more = room > 0 && !hit_max_pages;
        let mut requests = 0u64;
        let (claimed, jobs) = {
            let s = &store;
            for outcome in results.drain(..) {
                requests += outcome
                    .hops
                    .iter()
                    .map(|h| u64::from(h.attempts))
                    .sum::<u64>();
                failed += u64::from(outcome.hops.last().is_none_or(|h| h.status.is_none()));
                apply(s, &mut frontier, outcome)?;
            }
            let claimed = if claim_more {
                s.claim(room)?
            } else {
                Vec::new()
            };
            let count = claimed.len();
            let mut jobs = Vec::with_capacity(count);
            for job in claimed {
                let counts = job.kind == "page" || job.kind == "attachment";
                if counts && fetched_pages >= max_pages {
                    hit_max_pages = true;
                    s.set_state(job.id, "queued", None)?;
                } else {
                    if counts {
                        fetched_pages += 1;
                    }
                    jobs.push(job);
                }
            }
            (count, jobs)
        };
        if last_commit.elapsed() >= COMMIT_INTERVAL {
            store.commit()?;
            store.begin()?;
            last_commit = Instant::now();
        }
        fetched_this_run += requests;
        progress.update(&store, fetched_this_run, in_flight, failed);
        for job in jobs {
            in_flight += 1;
            let tx = tx.clone();
            let context = context.clone();
            runtime.spawn(async move {
                let _ = tx.send(process(context, job).await);
            });
        }
        if in_flight == 0 {
            if claimed == 0 || hit_max_pages {
                break;
            }
            continue;
        }
        // Gather results for a few milliseconds after the first, while the other fetches go on.
        let Ok(first) = rx.recv_timeout(Duration::from_millis(500)) else {
            continue;
        };
        results.push(first);
        if in_flight > 1 {
            std::thread::sleep(Duration::from_millis(2));
            results.extend(rx.try_iter().take(in_flight - 1));
        }
        in_flight -= results.len();
    }
    store.commit()?;
    if hit_max_pages {
        store.transaction(|s| {
            for job in s.claim(usize::MAX >> 1)? {
                s.set_state(job.id, "skipped", Some(SkipReason::MaxPages.as_str()))?;
            }
            Ok(())
        })?;
    }
    progress.finish();
    // What is left is serial: the summary is counted on a second connection, from what is
    // committed, while this one records the redirect chains and builds the indexes, and the
    // last checkpoint starts as soon as nothing more is written.
    let store_path = store.path().to_path_buf();
    let (mut summary, chains) =
        std::thread::scope(|scope| -> Result<(CrawlSummary, ChainCounts)> {
            let counting = scope.spawn(|| {
                Store::open_reader(&store_path)
                    .and_then(|reader| summarise(&reader, &site.abbr, fetched_this_run))
            });
            let finishing = (|| {
                let chains = store.transaction(|s| record_redirect_chains(s, &frontier))?;
                store.finish_tables()?;
                store.set_meta("finished_at", &httpdate::fmt_http_date(SystemTime::now()))?;
                checkpoints.start_final();
                Ok(chains)
            })();
            let summary = counting
                .join()
                .map_err(|_| Error::Other("the crawl summary could not be counted".into()))??;
            Ok((summary, finishing?))
        })?;
    drop(checkpoints);
    summary.redirects = chains.redirects;
    summary.redirect_chains = chains.chains;
    summary.redirect_loops = chains.loops;
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Opens a site's store, refusing one that holds another site's crawl.
pub fn open_site_store(site: &Site, out_dir: &Path) -> Result<Store> {
    let path = store_path(out_dir, &site.abbr);
    let store = Store::open(&path)?;
    match store.meta("site")? {
        Some(abbr) if abbr != site.abbr => {
            return Err(Error::Usage(format!(
                "{} holds a crawl of {abbr}, not {}",
                path.display(),
                site.abbr
            )));
        }
        Some(_) => {}
        None => store.set_meta("site", &site.abbr)?,
    }
    Ok(store)
}

fn absolute(origin: &str, path_or_url: &str) -> String {
    if path_or_url.starts_with('/') {
        format!("{origin}{path_or_url}")
    } else {
        path_or_url.to_owned()
    }
}

/// Fetches one URL, following redirects that stay on the same canonical key (a host alias,
/// a trailing slash, a change of case), and reads what the final response holds.
async fn process(ctx: Arc<TaskContext>, job: Job) -> Outcome {
    let mut hops: Vec<Exchange> = Vec::new();
    let mut outcome = Outcome {
        job,
        first_hop: 0,
        hops: Vec::new(),
        page: None,
        sitemap: None,
        prepared: Prepared::default(),
        blocked_by_robots: false,
    };
    let Ok(mut url) = Url::parse(&outcome.job.url) else {
        return outcome;
    };
    if matches!(outcome.job.kind.as_str(), "page" | "attachment")
        && !ctx.robots.allowed(url.as_str())
    {
        outcome.blocked_by_robots = true;
        return outcome;
    }
    let limit = match outcome.job.kind.as_str() {
        "robots" | "sitemap" => BodyLimit::Any(CONTROL_FILE_LIMIT),
        "attachment" => match ctx.attachment_policy {
            AttachmentPolicy::Download => BodyLimit::Any(ctx.attachment_limit.unwrap_or(0)),
            _ => BodyLimit::Head,
        },
        _ => BodyLimit::ByType {
            page: ctx.max_body,
            other: ctx.attachment_limit,
        },
    };
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        seen.insert(url.to_string());
        let host = url.host_str().unwrap_or("").to_owned();
        let exchange = ctx.fetcher.fetch(&url, limit, ctx.gate(&host)).await;
        let next = exchange.redirect_target().filter(|target| {
            hops.len() < 5
                && !seen.contains(target.as_str())
                && target.host_str().is_some_and(|h| ctx.scope.is_site_host(h))
                && ctx.canonical.key(target.as_str()).ok().as_deref()
                    == Some(outcome.job.key.as_str())
        });
        hops.push(exchange);
        match next {
            Some(target) => url = target,
            None => break,
        }
    }
    let (page, sitemap) = read_final(&outcome.job.kind, &hops, ctx.max_body);
    outcome.page = page;
    outcome.sitemap = sitemap;
    outcome.hops = hops;
    outcome.prepared = prepare(&outcome, &ctx.canonical, &ctx.scope);
    outcome.prepared.form_links = form_links(outcome.page.as_ref(), &ctx);
    outcome
}

/// The most URLs one page's forms are turned into (a page of a thousand forms cannot
/// flood the frontier); past the per-path cap on query variants (`max_query_variants`), the
/// frontier records the rest as a trap, as for links.
const FORM_URLS_LIMIT: usize = 5_000;

/// The URLs the page's GET forms make from their significant choices (see
/// [`links::form_urls`]), for each form the crawl has not met before.
fn form_links(page: Option<&PageInfo>, ctx: &TaskContext) -> Vec<Found> {
    let Some(page) = page else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for form in &page.forms {
        // A form in every page's header is met on every page: cloned only the first time.
        let first_time = ctx
            .forms_seen
            .lock()
            .map(|mut seen| !seen.contains(form) && seen.insert(form.clone()))
            .unwrap_or(false);
        if !first_time {
            continue;
        }
        let limit = FORM_URLS_LIMIT
            .min(ctx.max_query_variants + 1)
            .saturating_sub(found.len());
        for url in links::form_urls(
            form,
            |name| ctx.canonical.params.is_significant(name),
            limit,
        ) {
            found.push(Found::new(&url, &ctx.canonical, &ctx.scope));
        }
    }
    found
}

/// What the last response of a fetch holds: a page's links, or a sitemap's locations.
fn read_final(
    kind: &str,
    hops: &[Exchange],
    max_body: u64,
) -> (
    Option<PageInfo>,
    Option<std::result::Result<sitemap::Sitemap, String>>,
) {
    let Some(last) = hops.last() else {
        return (None, None);
    };
    let ok = last.status.is_some_and(|s| (200..300).contains(&s)) && last.body_read;
    if !ok {
        return (None, None);
    }
    // A compressed body inflates only up to the cap for its kind (a gzip bomb stops there).
    let limit = if kind == "sitemap" {
        CONTROL_FILE_LIMIT
    } else {
        max_body
    };
    let (body, _) = charset::decode_content(&last.body, last.header("content-encoding"), limit);
    if kind == "sitemap" {
        return (None, Some(sitemap::parse(&body)));
    }
    if kind != "page" || !is_html_type(last.header("content-type").unwrap_or("")) {
        return (None, None);
    }
    let decoded = charset::decode(&body, last.header("content-type"));
    let page = links::extract(&decoded.text, &last.url);
    let info = PageInfo {
        title: page.title,
        canonical: page.canonical,
        meta_refresh: page.meta_refresh.map(|(u, _)| u),
        links: page.links,
        forms: page.forms,
        charset: decoded.encoding.name(),
        charset_source: decoded.source.as_str(),
    };
    (Some(info), None)
}

/// Records one fetch result, and everything it discovered, in the store.
fn apply(store: &Store, frontier: &mut Frontier, outcome: Outcome) -> Result<()> {
    let Outcome {
        job,
        first_hop,
        hops,
        page,
        sitemap,
        prepared,
        blocked_by_robots,
    } = outcome;
    if blocked_by_robots {
        return store.set_state(job.id, "skipped", Some(SkipReason::Robots.as_str()));
    }
    let mut bodies = prepared.bodies.into_iter();
    let mut headers = prepared.headers.into_iter();
    if hops.is_empty() {
        store.finish_url(job.id, "failed", None, &job.kind)?;
        store.add_error(job.id, &job.url, 1, "unparseable URL")?;
        return Ok(());
    }
    let last_index = hops.len() - 1;
    for (i, exchange) in hops.iter().enumerate() {
        let is_last = i == last_index;
        let mut location = exchange.redirect_target().map(|u| u.to_string());
        let mut redirect_kind = location.as_ref().map(|_| "http");
        if is_last
            && location.is_none()
            && let Some(target) = page.as_ref().and_then(|p| p.meta_refresh.as_ref())
        {
            location = Some(target.to_string());
            redirect_kind = Some("meta_refresh");
        }
        for (n, error) in exchange.retried_errors.iter().enumerate() {
            store.add_error(job.id, exchange.url.as_str(), n as u32 + 1, error)?;
        }
        if let Some(error) = &exchange.error {
            store.add_error(job.id, exchange.url.as_str(), exchange.attempts, error)?;
        }
        let page_here = if is_last { page.as_ref() } else { None };
        let content_length = exchange
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        store.add_fetch(
            job.id,
            &FetchRecord {
                hop: first_hop + i as u32,
                url: exchange.url.to_string(),
                method: exchange.method.to_owned(),
                status: exchange.status,
                headers_json: headers.next().unwrap_or_default(),
                content_type: exchange.header("content-type").map(str::to_owned),
                location,
                redirect_kind,
                last_modified: exchange.header("last-modified").map(str::to_owned),
                size: if exchange.body_read {
                    Some(exchange.body.len() as u64)
                } else {
                    content_length
                },
                body: bodies.next().flatten(),
                body_truncated: exchange.truncated,
                charset: page_here.map(|p| p.charset.to_owned()),
                charset_source: page_here.map(|p| p.charset_source),
                title: page_here.and_then(|p| p.title.clone()),
                canonical: page_here
                    .and_then(|p| p.canonical.as_ref())
                    .map(Url::to_string),
                attempts: exchange.attempts,
                error: exchange.error.clone(),
                elapsed_ms: exchange.elapsed.as_millis() as u64,
                fetched_at: httpdate::fmt_http_date(exchange.fetched_at),
            },
        )?;
    }
    let last = &hops[last_index];
    let state = if last.status.is_some() {
        "done"
    } else {
        "failed"
    };
    let kind = match job.kind.as_str() {
        "page"
            if last.status.is_some_and(|s| (200..300).contains(&s))
                && !is_html_type(last.header("content-type").unwrap_or("")) =>
        {
            "attachment"
        }
        other => other,
    };
    store.finish_url(job.id, state, last.status, kind)?;

    // A redirect to another page: that page is known now too (at the same depth: a hop is
    // not a click).
    for target in [&prepared.redirect, &prepared.refresh]
        .into_iter()
        .flatten()
    {
        frontier.discover(
            store,
            target,
            job.depth,
            "redirect",
            Some(job.id),
            None,
            false,
        )?;
    }
    if let Some(page) = page {
        let mut page_links = Vec::with_capacity(page.links.len());
        for (link, found) in page.links.iter().zip(&prepared.links) {
            let kind = match link.tag {
                links::LinkTag::Embed | links::LinkTag::Object if !found.attachment_path => {
                    Some("attachment")
                }
                _ => None,
            };
            let (to_id, internal) = frontier.discover(
                store,
                found,
                job.depth + 1,
                "link",
                Some(job.id),
                kind,
                false,
            )?;
            page_links.push((
                to_id,
                found.url.as_str(),
                link.anchor.as_str(),
                link.rel.as_str(),
                link.tag.as_str(),
                internal,
            ));
        }
        for found in &prepared.form_links {
            let (to_id, internal) = frontier.discover(
                store,
                found,
                job.depth + 1,
                "form",
                Some(job.id),
                None,
                false,
            )?;
            page_links.push((to_id, found.url.as_str(), "", "", "form", internal));
        }
        store.set_page_links(job.id, &page_links)?;
    }
    match sitemap {
        Some(Ok(map)) => {
            for found in &prepared.sitemap {
                if map.is_index {
                    frontier.discover(
                        store,
                        found,
                        0,
                        "sitemap",
                        Some(job.id),
                        Some("sitemap"),
                        false,
                    )?;
                } else {
                    frontier.discover(store, found, 1, "sitemap", Some(job.id), None, true)?;
                }
            }
        }
        Some(Err(e)) => store.add_error(job.id, &job.url, 0, &format!("sitemap: {e}"))?,
        None => {}
    }
    Ok(())
}

/// How many redirects a crawl recorded: all, those of more than one hop, and loops.
#[derive(Clone, Copy, Debug, Default)]
struct ChainCounts {
    redirects: u64,
    chains: u64,
    loops: u64,
}

/// Follows every redirect to its end and records chains (more than one hop) and loops.
fn record_redirect_chains(store: &Store, frontier: &Frontier) -> Result<ChainCounts> {
    store.clear_redirect_chains()?;
    let edges = store.redirect_edges()?;
    let targets: HashMap<i64, String> = edges
        .iter()
        .map(|(id, loc, _)| (*id, loc.clone()))
        .collect();
    let mut counts = ChainCounts::default();
    for (start, _, _) in &edges {
        // Every node in `chain` answered with a redirect.
        let mut chain = vec![*start];
        let mut current = *start;
        let end = loop {
            let location = &targets[&current];
            let target_id = Url::parse(location)
                .ok()
                .filter(|u| frontier.scope.is_site_host(u.host_str().unwrap_or("")))
                .and_then(|u| frontier.canonical.key(u.as_str()).ok())
                .and_then(|k| frontier.id_of_key(&k));
            match target_id {
                None => break ChainEnd::Elsewhere(location.clone()),
                Some(id) if chain.contains(&id) => break ChainEnd::Loop,
                Some(id) if targets.contains_key(&id) => {
                    chain.push(id);
                    current = id;
                }
                Some(id) => break ChainEnd::Page(id),
            }
        };
        let hops = chain.len() as u32;
        counts.redirects += 1;
        counts.chains += u64::from(hops > 1 && !matches!(end, ChainEnd::Loop));
        counts.loops += u64::from(matches!(end, ChainEnd::Loop));
        match end {
            ChainEnd::Elsewhere(url) => {
                store.add_redirect_chain(*start, Some(&url), None, hops, false, None)?
            }
            ChainEnd::Loop => store.add_redirect_chain(*start, None, None, hops, true, None)?,
            ChainEnd::Page(id) => {
                let (url, status) = store.url_and_status(id)?.unzip();
                let status = status.flatten();
                store.add_redirect_chain(*start, url.as_deref(), Some(id), hops, false, status)?;
            }
        }
    }
    Ok(counts)
}

/// Where a redirect chain ends.
enum ChainEnd {
    /// A page of the site that answers without redirecting.
    Page(i64),
    /// Off the site, or a URL never fetched.
    Elsewhere(String),
    Loop,
}

/// Counts the store's pages, attachments, skips and errors (the redirects are counted as
/// their chains are recorded).
fn summarise(store: &Store, abbr: &str, fetched_this_run: u64) -> Result<CrawlSummary> {
    let pages_by_status = store
        .rows("SELECT COALESCE(CAST(status AS TEXT), 'error'), COUNT(*) FROM urls WHERE state IN ('done', 'failed') AND kind = 'page' GROUP BY 1 ORDER BY 1")?
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap_or(0)))
        .collect::<Vec<(String, u64)>>();
    let skipped = store
        .rows(
            "SELECT skip_reason, COUNT(*) FROM urls WHERE state = 'skipped' GROUP BY 1 ORDER BY 1",
        )?
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap_or(0)))
        .collect();
    Ok(CrawlSummary {
        site: abbr.to_owned(),
        store: store.path().to_path_buf(),
        pages: pages_by_status.iter().map(|(_, n)| n).sum(),
        pages_by_status,
        attachments: store.count("SELECT COUNT(*) FROM urls WHERE kind = 'attachment' AND state IN ('done', 'failed')")?,
        attachment_bytes: store.count("SELECT COALESCE(SUM(f.size), 0) FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.kind = 'attachment'")?,
        bytes: store.count("SELECT COALESCE(SUM(size), 0) FROM fetches WHERE body IS NOT NULL")?,
        skipped,
        failed: store.count("SELECT COUNT(*) FROM urls WHERE state = 'failed'")?,
        retries: store.count("SELECT COUNT(*) FROM errors")?,
        fetched_this_run,
        last_error: store
            .rows("SELECT url || ': ' || error FROM errors ORDER BY rowid DESC LIMIT 1")?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next()),
        ..CrawlSummary::default()
    })
}

/// The progress bar on stderr: fetched, queued, rate, errors.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last: std::cell::Cell<Option<Instant>>,
}

impl Progress {
    fn new(show: bool, abbr: &str) -> Progress {
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {prefix:.bold} {pos} requests, {msg} [{elapsed}] {per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_prefix(abbr.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            last: std::cell::Cell::new(None),
        }
    }

    fn update(&self, store: &Store, requests: u64, in_flight: usize, failed: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(requests);
        if self
            .last
            .get()
            .is_some_and(|t| t.elapsed() < Duration::from_millis(300))
        {
            return;
        }
        self.last.set(Some(Instant::now()));
        // Counted over the partial index of queued URLs, so cheap however big the site.
        let queued = store
            .count("SELECT COUNT(*) FROM urls WHERE state = 'queued'")
            .unwrap_or(0);
        bar.set_message(format!(
            "{} queued, {failed} errors",
            queued + in_flight as u64
        ));
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_resolves_every_host_of_the_site_and_a_named_host_keeps_its_own() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("crawl-configs/demo_hpa.yml");
        let site = crate::config::site::load_site(&config).site.unwrap();
        let copy: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let other: SocketAddr = "127.0.0.1:9090".parse().unwrap();
        let resolve = vec![
            ("www.hpa-demo.nhs.uk".to_owned(), other),
            ("*".to_owned(), copy),
        ];
        let mut by_host: Vec<(String, SocketAddr)> =
            resolve_for_site(&resolve, &site).into_iter().collect();
        by_host.sort();
        assert_eq!(
            by_host,
            [
                ("hpa-demo.org.uk".to_owned(), copy),
                ("www.hpa-demo.nhs.uk".to_owned(), other),
                ("www.hpa-demo.org.uk".to_owned(), copy),
            ]
        );
    }
}
