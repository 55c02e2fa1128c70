#!/usr/bin/env bash
# Crawl benchmark: phe-migrate crawl against wget2, wget, Scrapy and siteone-crawler on the
# same generated legacy site, served by nginx on loopback, in one run. Completeness is
# counted from nginx's access log, not from each tool's own report. wrk measures the
# server's own request rate, the physical floor. Appends medians and ratios to
# bench/RESULTS.md.
#
#   bench/crawl.sh              # 20,000 pages, 5 runs each
#   PAGES=2000 RUNS=1 bench/crawl.sh
#   LARGE=200000 bench/crawl.sh # also one crawl of a 200,000-page site, for peak memory
#   TOOLS="phe-migrate wget2" bench/crawl.sh   # only some of the tools
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PAGES=${PAGES:-20000}
RUNS=${RUNS:-5}
CONCURRENCY=8
PORT=${PORT:-18080}
WORK=$ROOT/bench/work/crawl
PEERS=$ROOT/bench/.peers
TOOLS=${TOOLS:-phe-migrate wget2 wget scrapy siteone-crawler}
wants() { [[ " $TOOLS " == *" $1 "* ]]; }
mkdir -p "$WORK" "$PEERS"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== installing peers"
need=()
for pkg in nginx-light:nginx wget2:wget2 wget:wget wrk:wrk time:/usr/bin/time; do
  command -v "${pkg#*:}" >/dev/null 2>&1 || need+=("${pkg%%:*}")
done
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}"
fi
if wants scrapy; then python3 -m pip install --quiet --disable-pip-version-check scrapy==2.19.0; fi
if wants siteone-crawler && [ ! -x "$PEERS/bin/siteone-crawler" ]; then
  cargo install siteone-crawler --version 2.5.1 --locked --root "$PEERS"
fi
cargo build --release --quiet
BIN=$ROOT/target/release/phe-migrate

echo "== generating a $PAGES-page site"
rm -rf "$WORK/site"
"$BIN" fixtures generate --pages "$PAGES" --out "$WORK/site" | tee "$WORK/generate.txt"
sed -e "s#listen 127.0.0.1:18080;#listen 127.0.0.1:$PORT default_server;#" "$WORK/site/generated/nginx-site.conf" > "$WORK/site.conf"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log $WORK/access.log;
  include $WORK/site.conf;
}
CONF
[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
sleep 0.3
nginx -c "$WORK/nginx.conf"
trap 'kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true' EXIT
TARGET=http://127.0.0.1:$PORT/

cat > "$WORK/bench_site.yml" <<CONF
site: bench_site
whitehall_slug: public-health-england
host: 127.0.0.1
tna_timestamp: 20150101000000
homepage: https://www.gov.uk/government/organisations/public-health-england
options: --query-string id
crawl:
  max_pages: 10000000
CONF

run_tool() { # round, name, then the command
  local i=$1 name=$2; shift 2
  wants "$name" || return 0
  local tmp=$WORK/tmp-$name
  rm -rf "$tmp"; mkdir -p "$tmp"
  : > "$WORK/access.log"
  ( cd "$tmp" && /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/$name.stderr" ) || true
  read -r wall rss < <(tail -n 1 "$WORK/time.txt")
  local requests distinct ok
  requests=$(wc -l < "$WORK/access.log")
  distinct=$(awk '{print $7}' "$WORK/access.log" | sort -u | wc -l)
  ok=$(awk '$9 == 200' "$WORK/access.log" | wc -l)
  echo "$name $i $wall $rss $requests $distinct $ok" | tee -a "$WORK/runs.txt"
}

: > "$WORK/runs.txt"
echo "== crawling (tool run wall_s peak_rss_kb requests distinct_urls status_200)"
# Rounds: every tool once per round, so that a machine slowing down mid-run weighs on all
# of them alike rather than on whichever ran last.
for i in $(seq 1 "$RUNS"); do
  run_tool "$i" phe-migrate "$BIN" crawl "$WORK/bench_site.yml" --resolve "127.0.0.1=127.0.0.1:$PORT" --no-delay --concurrency $CONCURRENCY --quiet --fresh --out "$WORK/tmp-phe-migrate/out"
  run_tool "$i" wget2 wget2 -r --level=0 --no-parent --max-threads=$CONCURRENCY --delete-after --no-host-directories -q "$TARGET"
  run_tool "$i" wget wget -r -l inf --no-parent --delete-after -nv -o /dev/null "$TARGET"
  run_tool "$i" scrapy scrapy runspider "$ROOT/bench/peers/scrapy_spider.py" -a start="$TARGET" -O out.jsonl \
    -s CONCURRENT_REQUESTS=$CONCURRENCY -s CONCURRENT_REQUESTS_PER_DOMAIN=$CONCURRENCY -s REDIRECT_ENABLED=False \
    -s HTTPERROR_ALLOW_ALL=True -s ROBOTSTXT_OBEY=True -s LOG_LEVEL=WARNING -s TELNETCONSOLE_ENABLED=False
  run_tool "$i" siteone-crawler "$PEERS/bin/siteone-crawler" --url="$TARGET" --workers=$CONCURRENCY --max-reqs-per-sec=1000000 \
    --disable-all-assets --no-cache --hide-progress-bar --output-html-report= --output-text-file= --output-json-file= \
    --max-visited-urls=10000000
done

echo "== wrk (server floor)"
: > "$WORK/wrk.txt"
for i in $(seq 1 "$RUNS"); do
  wrk -t2 -c$CONCURRENCY -d5s "${TARGET}section-7/page-107.htm" | awk '/Requests\/sec/ {print $2}' >> "$WORK/wrk.txt"
done
: > "$WORK/access.log"

LARGE_RESULT=""
if [ -n "${LARGE:-}" ]; then
  echo "== $LARGE pages, one crawl, peak memory"
  rm -rf "$WORK/site" "$WORK/tmp-large"
  "$BIN" fixtures generate --pages "$LARGE" --out "$WORK/site" >/dev/null
  sed -e "s#listen 127.0.0.1:18080;#listen 127.0.0.1:$PORT default_server;#" "$WORK/site/generated/nginx-site.conf" > "$WORK/site.conf"
  nginx -c "$WORK/nginx.conf" -s reload; sleep 1
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$BIN" crawl "$WORK/bench_site.yml" --resolve "127.0.0.1=127.0.0.1:$PORT" \
    --no-delay --concurrency $CONCURRENCY --quiet --fresh --out "$WORK/tmp-large" >/dev/null
  read -r wall rss < <(tail -n 1 "$WORK/time.txt")
  LARGE_RESULT="$LARGE $wall $rss $(wc -l < "$WORK/access.log")"
fi

python3 "$ROOT/bench/summarize_crawl.py" "$WORK" "$PAGES" "$RUNS" "$CONCURRENCY" "$LARGE_RESULT" | tee -a "$ROOT/bench/RESULTS.md"
