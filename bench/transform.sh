#!/usr/bin/env bash
# Transform benchmark: phe-migrate transform (--jobs 1 and 2, the whole stage: read the crawl
# store, extract, convert, render, validate, write) against GOV.UK's paste-html-to-govspeak,
# the mdka crate, pandoc (-f html -t gfm), Python's html2text and html5ever parsing alone, on
# the same generated corpus of heavy legacy pages, in one run. Then quality, ours beside
# paste-html-to-govspeak, against each page's known main text. Appends to bench/RESULTS.md.
#
#   bench/transform.sh                    # 20,000 pages; 3 runs of the fast tools, 1 of the slow
#   PAGES=2000 RUNS=1 bench/transform.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PAGES=${PAGES:-20000}
RUNS=${RUNS:-3}
SLOW_RUNS=${SLOW_RUNS:-1}
# pandoc converts ~30 pages/s: it is timed on the corpus's first PANDOC_PAGES pages.
PANDOC_PAGES=${PANDOC_PAGES:-2000}
PORT=${PORT:-18090}
WORK=$ROOT/bench/work/transform
PEERS=$ROOT/bench/.peers
HOST=www.generated-legacy.org.uk

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== installing peers"
need=()
for pkg in pandoc:pandoc ruby-kramdown:/usr/lib/ruby/vendor_ruby/kramdown.rb time:/usr/bin/time; do
  [ -e "${pkg#*:}" ] || command -v "${pkg#*:}" >/dev/null 2>&1 || need+=("${pkg%%:*}")
done
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}"
fi
python3 -m pip install --quiet --disable-pip-version-check html2text==2025.4.15
mkdir -p "$PEERS/node"
( cd "$PEERS/node" && [ -f package.json ] || echo '{"private": true}' > package.json
  npm install --silent --no-audit --no-fund paste-html-to-govspeak@0.5.0 @mixmark-io/domino@2.2.0 )
CARGO_TARGET_DIR=$PEERS/target cargo build --release --quiet --manifest-path bench/peers/transform-rs/Cargo.toml
PEER_RS=$PEERS/target/release/transform-peers
cargo build --release --quiet
BIN=$ROOT/target/release/phe-migrate

echo "== generating $PAGES heavy pages and crawling them (not timed)"
rm -rf "$WORK"; mkdir -p "$WORK/ws/crawl-configs" "$WORK/ws/mappings"
"$BIN" fixtures generate --rich --pages "$PAGES" --out "$WORK/site" > "$WORK/generate.txt"
SITE=$WORK/site/generated
cat > "$WORK/ws/crawl-configs/bench_rich.yml" <<CONF
site: bench_rich
whitehall_slug: public-health-england
host: $HOST
tna_timestamp: 20150101000000
homepage: https://www.gov.uk/government/organisations/public-health-england
options: --query-string id
crawl:
  max_pages: 10000000
CONF
"$BIN" fixtures serve --estate "$WORK/site" --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 1
"$BIN" --workspace "$WORK/ws" crawl bench_rich --resolve "$HOST=127.0.0.1:$PORT" --no-delay --concurrency 8 --quiet --fresh | tail -n 3
kill $SERVER; trap - EXIT

: > "$WORK/runs.txt"
record() { # tool run, then the command; the command prints `tool pages seconds` or nothing
  local tool=$1 run=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || { cat "$WORK/err.txt"; exit 1; }
  read -r wall rss < <(tail -n 1 "$WORK/time.txt")
  local timed
  timed=$(cat "$WORK/out.txt" "$WORK/err.txt" | awk -v t="$tool" '$1 == t {print $3}' | tail -n 1)
  echo "$tool $run $wall $rss ${timed:-$wall}" | tee -a "$WORK/runs.txt"
}

echo "== timing (tool run wall_s peak_rss_kb converting_s)"
# Each run transforms a fresh copy of the store into its own folder, on tmpfs where there is
# one (OUT_FS=disk keeps them beside the rest): the peers write nothing at all, and on an
# ext4 file system without a journal, as this machine's is, creating a file within minutes
# of many deletions scans the recently deleted inodes (ext4's recently_deleted), which alone
# doubled the time of a 3,100-page transform. On disk the folders are removed only at the
# end. On tmpfs each is removed once timed (the first, which the quality check reads, is
# kept): with earlier runs' items left in memory, a later run spent four times as long in
# the kernel (system time 0.8 s -> 3.4 s, 20,000 pages, --jobs 1); removing them undoes it.
OURS=$WORK
if [ "${OUT_FS:-tmpfs}" = tmpfs ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  OURS=/dev/shm/phe-migrate-bench-transform
  rm -rf "$OURS"; mkdir -p "$OURS"; ln -sfn "$OURS" "$WORK/ours"
fi
for run in $(seq 1 "$RUNS"); do
  for jobs in 1 2; do
    dir=$OURS/ours-$jobs-$run
    mkdir -p "$dir/out/bench_rich" && cp -r "$WORK/ws/crawl-configs" "$WORK/ws/mappings" "$dir/"
    cp "$WORK/ws/out/bench_rich/crawl.db" "$dir/out/bench_rich/"
    sync
    record "phe-migrate-jobs-$jobs" "$run" "$BIN" --workspace "$dir" transform bench_rich --jobs "$jobs" --quiet
    if [ "$OURS" != "$WORK" ] && [ "$dir" != "$OURS/ours-1-1" ]; then rm -rf "$dir"; fi
  done
  record parse "$run" "$PEER_RS" parse "$SITE"
  record mdka "$run" "$PEER_RS" mdka "$SITE"
done
for run in $(seq 1 "$SLOW_RUNS"); do
  NODE_PATH=$PEERS/node/node_modules record paste-html-to-govspeak "$run" node bench/peers/paste_govspeak.js "$SITE" "$WORK/paste"
  record html2text "$run" python3 bench/peers/html2text_bench.py "$SITE"
done
python3 - "$SITE" "$WORK/utf8" "$PANDOC_PAGES" <<'PY'
import json, sys, pathlib
site, out, limit = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
names = []
for n, line in enumerate((site / "truth.jsonl").read_text().splitlines()):
    p = json.loads(line)["path"]
    f = site / "www" / ("index.htm" if p == "/" else p[1:])
    (out / f"{n}.html").write_text(f.read_bytes().decode("cp1252", errors="replace"))
    names.append(str(out / f"{n}.html"))
    if len(names) == limit:
        break
(out / "list.txt").write_text("\n".join(names) + "\n")
PY
for run in $(seq 1 "$SLOW_RUNS"); do
  echo "" | PAGES_LIST=$WORK/utf8/list.txt record pandoc "$run" pandoc -f markdown -t plain --lua-filter bench/peers/pandoc_bench.lua -o /dev/null
done

echo "== quality"
python3 bench/summarize_transform.py "$WORK" "$PAGES" "$RUNS" "$SLOW_RUNS" | tee -a bench/RESULTS.md
rm -rf "$OURS"/ours-* "$WORK/utf8"
