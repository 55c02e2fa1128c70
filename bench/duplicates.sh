#!/usr/bin/env bash
# Duplicate-heavy site: the whole pipeline on a generated site whose pages are copies and near
# copies of one text (a query-string CMS serving one page under every id), to show that the
# transform's slugs and the audit's near-duplicate search stay linear. Prints each stage's
# time and peak memory, the drafts written and the audit's duplicate groups.
#
#   bench/duplicates.sh                  # 20,000 pages
#   PAGES=5000 bench/duplicates.sh
#   BIN=/path/to/older/phe-migrate STAGE_TIMEOUT=120 bench/duplicates.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PAGES=${PAGES:-20000}
PORT=${PORT:-18111}
WORK=$ROOT/bench/work/duplicates
STAGE_TIMEOUT=${STAGE_TIMEOUT:-600}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$ROOT/target/release/phe-migrate
fi

rm -rf "$WORK" && mkdir -p "$WORK/ws/crawl-configs" "$WORK/ws/mappings"
"$BIN" fixtures generate --pages "$PAGES" --out "$WORK/site" > /dev/null
# Sections 0-49: one text under one title (copies, but for their links' numbers); the rest:
# the same paragraphs under their own titles (near copies).
python3 - "$WORK/site/generated/www" <<'PY'
import os, re, sys
root = sys.argv[1]
text = ("<p>" + " ".join(["Screening programme figures for the local authority are "
        "published each quarter with notes on method."] * 8) + "</p>").encode()
for d in os.listdir(root):
    m = re.match(r"section-(\d+)$", d)
    if not m:
        continue
    for f in os.listdir(os.path.join(root, d)):
        path = os.path.join(root, d, f)
        page = open(path, "rb").read()
        page = re.sub(rb"(<h1>.*?</h1>)(.*?)(<h2>See also)",
                      lambda g: g.group(1) + text + g.group(3), page, flags=re.S)
        if int(m.group(1)) < 50:
            page = re.sub(rb"<h1>.*?</h1>", b"<h1>Screening figures</h1>", page)
            page = re.sub(rb'(<a href="/section-[^"]*">)[^<]*</a>', rb"\1Related page</a>", page)
            page = re.sub(rb"<title>.*?</title>", b"<title>Screening figures</title>", page)
        open(path, "wb").write(page)
PY
cat > "$WORK/ws/crawl-configs/bench_dup.yml" <<YML
site: bench_dup
whitehall_slug: public-health-england
host: www.generated-legacy.org.uk
tna_timestamp: 20150101000000
homepage: https://www.gov.uk/government/organisations/public-health-england
options: --query-string id
crawl:
  max_pages: 10000000
YML
"$BIN" fixtures serve --estate "$WORK/site" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 1
cd "$WORK/ws"
stage() {
  local name=$1; shift
  /usr/bin/time -f "$name: %e s, peak %M KB" timeout "$STAGE_TIMEOUT" "$BIN" "$@" \
    > "$WORK/$name.log" 2>&1 || echo "$name: stopped after ${STAGE_TIMEOUT} s or failed"
  tail -n 1 "$WORK/$name.log"
}
stage crawl crawl bench_dup --resolve "*=127.0.0.1:$PORT" --no-delay --concurrency 8 -q
stage transform transform bench_dup -q
stage redirects report redirects bench_dup
stage audit report audit bench_dup
echo "drafts written: $(find out/bench_dup/content -name '*.md' | wc -l) of $(($(wc -l < out/bench_dup/transform.csv) - 1)) items"
python3 - out/bench_dup/audit/inventory.csv <<'PY'
import csv, collections, sys
rows = list(csv.DictReader(open(sys.argv[1])))
exact = collections.Counter(r["exact_dup_group"] for r in rows if r["exact_dup_group"])
near = collections.Counter(r["near_dup_group"] for r in rows if r["near_dup_group"])
print(f"exact-duplicate groups {len(exact)} (largest {max(exact.values(), default=0)}), "
      f"near-duplicate groups {len(near)} (largest {max(near.values(), default=0)})")
PY
