//! What becomes of each URL the crawl finds: queued, skipped with a reason, or (off-site)
//! only recorded as a link. The writer thread decides; the fetch workers do the costly part
//! beforehand ([`Found::new`]: scope check, canonical key), and an in-memory index of the
//! keys and raw URLs already stored (128-bit hashes, tens of bytes a URL) spares the store a
//! lookup for every link.

use rustc_hash::{FxHashMap, FxHashSet};
use url::Url;

use super::scope::{Scope, SkipReason, Verdict, is_attachment_path};
use crate::canonical::{Canonicalizer, Mode};
use crate::config::Site;
use crate::config::settings::AttachmentPolicy;
use crate::error::Result;
use crate::store::{NewUrl, Store};

/// A URL found in a page, a redirect or a sitemap, with its scope verdict and key.
#[derive(Clone, Debug)]
pub struct Found {
    pub url: String,
    pub verdict: Verdict,
    /// The canonical key; `None` when off-site or not canonicalisable.
    pub key: Option<String>,
    pub attachment_path: bool,
    /// Hashes of the key, the raw URL and the key's path, for the frontier's index.
    hashes: (u128, u128, u128),
}

impl Found {
    /// Scope, key and hashes, worked out once (on a fetch worker).
    pub fn new(url: &Url, canonical: &Canonicalizer, scope: &Scope) -> Found {
        let verdict = scope.check(url);
        let key = if verdict == Verdict::OffSite {
            None
        } else {
            canonical.key(url.as_str()).ok()
        };
        let raw = url.as_str().to_owned();
        let hashes = match &key {
            Some(k) => (
                hash128(k),
                hash128(&raw),
                hash128(k.split('?').next().unwrap_or("")),
            ),
            None => (0, 0, 0),
        };
        Found {
            url: raw,
            verdict,
            key,
            attachment_path: is_attachment_path(url),
            hashes,
        }
    }

    fn path_key(&self) -> &str {
        self.key
            .as_deref()
            .map(|k| k.split('?').next().unwrap_or(""))
            .unwrap_or("")
    }
}

/// A 128-bit hash: the index keeps hashes, not strings, so it must not collide among a
/// site's millions of URLs.
fn hash128(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

#[derive(Clone, Copy)]
struct Known {
    id: i64,
    depth: u32,
}

pub struct Frontier<'a> {
    pub site: &'a Site,
    pub canonical: Canonicalizer,
    pub scope: Scope,
    // Keyed by hashes already: FxHash only folds them to a bucket.
    keys: FxHashMap<u128, Known>,
    raws: FxHashSet<u128>,
    keys_per_path: FxHashMap<u128, u32>,
}

impl<'a> Frontier<'a> {
    /// A frontier for the site, indexing what the store already holds.
    pub fn new(site: &'a Site, store: &Store) -> Result<Frontier<'a>> {
        let mut frontier = Frontier {
            site,
            canonical: site.canonicalizer(Mode::Govuk),
            scope: Scope::new(site)?,
            keys: FxHashMap::default(),
            raws: FxHashSet::default(),
            keys_per_path: FxHashMap::default(),
        };
        store.for_each_key(|id, key, path_key, depth| {
            frontier.keys.insert(hash128(key), Known { id, depth });
            *frontier.keys_per_path.entry(hash128(path_key)).or_default() += 1;
        })?;
        store.for_each_variant(|raw| {
            frontier.raws.insert(hash128(raw));
        })?;
        Ok(frontier)
    }

    /// The id of a stored key, from memory.
    pub fn id_of_key(&self, key: &str) -> Option<i64> {
        self.keys.get(&hash128(key)).map(|k| k.id)
    }

    /// Convenience for a URL not prepared by a worker.
    #[allow(clippy::too_many_arguments)]
    pub fn discover_url(
        &mut self,
        store: &Store,
        url: &Url,
        depth: u32,
        source: &str,
        found_from: Option<i64>,
        kind: Option<&str>,
        in_sitemap: bool,
    ) -> Result<(Option<i64>, bool)> {
        let found = Found::new(url, &self.canonical, &self.scope);
        self.discover(store, &found, depth, source, found_from, kind, in_sitemap)
    }

    /// Records a found URL: queued, or skipped with its reason. Returns its id (None when it
    /// is off-site or not canonicalisable) and whether it is on the site.
    #[allow(clippy::too_many_arguments)]
    pub fn discover(
        &mut self,
        store: &Store,
        found: &Found,
        depth: u32,
        source: &str,
        found_from: Option<i64>,
        kind: Option<&str>,
        in_sitemap: bool,
    ) -> Result<(Option<i64>, bool)> {
        if found.verdict == Verdict::OffSite {
            return Ok((None, false));
        }
        let Some(key) = found.key.as_deref() else {
            return Ok((None, true));
        };
        let crawl = &self.site.crawl;
        let kind = kind.unwrap_or(if found.attachment_path {
            "attachment"
        } else {
            "page"
        });
        let control = kind == "robots" || kind == "sitemap";
        let mut skip = match found.verdict {
            Verdict::Skip(reason) if !control => Some(reason),
            _ => None,
        };
        if skip.is_none() && !control && depth > crawl.max_depth {
            skip = Some(SkipReason::MaxDepth);
        }
        if skip.is_none() && kind == "attachment" && crawl.attachments == AttachmentPolicy::Skip {
            skip = Some(SkipReason::AttachmentsSkipped);
        }
        let (key_hash, raw_hash, path_hash) = found.hashes;
        if let Some(known) = self.keys.get(&key_hash).copied() {
            if self.raws.insert(raw_hash) {
                store.add_variant(&found.url, known.id, source)?;
            }
            if in_sitemap {
                store.mark_in_sitemap(known.id)?;
            }
            if depth < known.depth {
                store.lower_depth(known.id, depth, skip.is_none())?;
                self.keys.insert(
                    key_hash,
                    Known {
                        id: known.id,
                        depth,
                    },
                );
            }
            return Ok((Some(known.id), true));
        }
        if skip.is_none()
            && key.contains('?')
            && self.keys_per_path.get(&path_hash).copied().unwrap_or(0) >= crawl.max_query_variants
        {
            skip = Some(SkipReason::TrapQueryVariants);
        }
        let id = store.insert_url(&NewUrl {
            key,
            path_key: found.path_key(),
            raw: &found.url,
            depth,
            source,
            kind,
            skip_reason: skip.map(SkipReason::as_str),
            found_from,
            in_sitemap,
        })?;
        store.add_variant(&found.url, id, source)?;
        self.keys.insert(key_hash, Known { id, depth });
        self.raws.insert(raw_hash);
        *self.keys_per_path.entry(path_hash).or_default() += 1;
        Ok((Some(id), true))
    }
}
