#!/usr/bin/env bash
# Redirect benchmark, in one run:
#  1. build + validate: `report redirects` on a generated table of 1,000,000 legacy URLs
#     with 50,000 mappings, against `sort -u` of the same URL list (the floor: it only
#     dedupes the list); time and peak RSS, medians of RUNS.
#  2. verify: `phe-migrate verify` of the demo estate's table against nginx serving the
#     generated configuration, beside lychee (crates.io; it checks status codes only, not
#     where a redirect points) and a curl/xargs -P8 loop; wrk's request rate on the same
#     server, with the same URLs and Host headers, is the floor.
# Appends a section to bench/RESULTS.md.
#
#   bench/redirects.sh
#   URLS=100000 MAPPINGS=5000 RUNS=1 bench/redirects.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
URLS=${URLS:-1000000}
MAPPINGS=${MAPPINGS:-50000}
RUNS=${RUNS:-5}
REPEAT=${REPEAT:-20}
PORT=${PORT:-18090}
WORK=$ROOT/bench/work/redirects
PEERS=$ROOT/bench/.peers
mkdir -p "$WORK" "$PEERS"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== installing peers"
need=()
for pkg in nginx-light:nginx wrk:wrk curl:curl time:/usr/bin/time; do
  command -v "${pkg#*:}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pkg#*:}" ] || need+=("${pkg%%:*}")
done
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}"
fi
[ -x "$PEERS/bin/lychee" ] || cargo install lychee --version 0.24.2 --locked --root "$PEERS"
cargo build --release --quiet
BIN=$ROOT/target/release/phe-migrate
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN {printf "%.3f", e - s}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== generating $URLS legacy URLs and $MAPPINGS mappings"
rm -rf "$WORK/ws"
mkdir -p "$WORK/ws/crawl-configs" "$WORK/ws/mappings"
cat > "$WORK/ws/crawl-configs/bench.yml" <<CONF
site: bench
whitehall_slug: public-health-england
host: www.bench-legacy.org.uk
tna_timestamp: 20140101000000
homepage: https://www.gov.uk/government/organisations/public-health-england
CONF
python3 - "$WORK/ws" "$URLS" "$MAPPINGS" <<'PY'
import random, sys
ws, urls, mappings = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(2013)
host = "www.bench-legacy.org.uk"
with open(f"{ws}/urls.txt", "w") as f:
    for _ in range(urls):
        s, p, kind = random.randrange(200), random.randrange(20000), random.random()
        if kind < 0.7:
            f.write(f"http://{host}/section-{s}/page-{p}.aspx\n")
        elif kind < 0.85:
            f.write(f"http://{host}/Section-{s}/Page-{p}.aspx?SessionId={random.randrange(10**6)}\n")
        else:
            f.write(f"http://{host}/section-{s}/page-{p}/\n")
with open(f"{ws}/mappings/bench.csv", "w") as f:
    f.write("old url,new url\n")
    for i in range(mappings):
        s, p, r = random.randrange(200), random.randrange(20000), random.random()
        new = f"https://www.gov.uk/guidance/topic-{i}" if r < 0.8 else ("TNA" if r < 0.95 else "")
        f.write(f"http://{host}/section-{s}/page-{p}.aspx,{new}\n")
PY
(cd "$WORK/ws" && "$BIN" import urls bench urls.txt)

echo "== build + validate, $RUNS runs each"
: > "$WORK/build.tsv"
for run in $(seq "$RUNS"); do
  (cd "$WORK/ws" && /usr/bin/time -f "phe-migrate %e %M" -o "$WORK/t" "$BIN" report redirects bench -o "$WORK/table.csv" > "$WORK/report.txt" || true)
  cat "$WORK/t" >> "$WORK/build.tsv"
  /usr/bin/time -f "sort-u %e %M" -o "$WORK/t" sort -u "$WORK/ws/urls.txt" -o "$WORK/sorted.txt"
  cat "$WORK/t" >> "$WORK/build.tsv"
done
tail -3 "$WORK/report.txt"

echo "== the demo estate's table on nginx"
rm -rf "$WORK/demo"
"$BIN" demo --quiet --out "$WORK/demo" > /dev/null
"$BIN" report redirects demo_chobs demo_comare demo_hpa --format json --out "$WORK/demo" > /dev/null
"$BIN" report redirects demo_chobs demo_comare demo_hpa --format nginx --listen "127.0.0.1:$PORT" \
  -o "$WORK/nginx/redirects.conf" --out "$WORK/demo" > /dev/null
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  include $WORK/nginx/redirects.conf;
}
CONF
chmod -R a+rX "$WORK/nginx"
[ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
sleep 0.3
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
trap 'kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true' EXIT
sleep 0.3

TABLES=("$WORK"/demo/demo_*/redirects.json)
python3 - "$WORK" "$REPEAT" "${TABLES[@]}" <<'PY'
import json, sys
work, repeat, tables = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = []
for t in tables:
    for e in json.load(open(t))["entries"]:
        for u in e["urls"]:
            host, _, rest = u["url"].split("://", 1)[1].partition("/")
            rows.append((host, "/" + rest))
with open(f"{work}/requests.tsv", "w") as f:
    for _ in range(repeat):
        for host, target in rows:
            f.write(f"{host}\t{target}\n")
with open(f"{work}/wrk.lua", "w") as f:
    f.write("local r = {\n")
    for host, target in rows:
        f.write("{%s, %s},\n" % (json.dumps(host), json.dumps(target)))
    f.write("}\nlocal i = 0\nrequest = function()\n  i = i % #r + 1\n  return wrk.format('GET', r[i][2], {Host = r[i][1]})\nend\n")
for host in sorted({h for h, _ in rows}):
    with open(f"{work}/lychee-{host}.txt", "w") as f:
        for h, target in rows:
            if h == host:
                f.write(f"http://127.0.0.1:PORT{target}\n")
print(len(rows), "URLs in the table")
PY
sed -i "s/PORT/$PORT/" "$WORK"/lychee-*.txt
UNIQUE=$(( $(wc -l < "$WORK/requests.tsv") / REPEAT ))
VERIFY_ARGS=()
for _ in $(seq "$REPEAT"); do VERIFY_ARGS+=("${TABLES[@]}"); done

echo "== verify, $RUNS runs each ($UNIQUE URLs; phe-migrate and curl ask each $REPEAT times)"
: > "$WORK/verify.tsv"
for run in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  "$BIN" verify "${VERIFY_ARGS[@]}" --target "http://127.0.0.1:$PORT" --concurrency 8 > "$WORK/verify.txt"
  echo "phe-migrate $(elapsed "$start") 0" >> "$WORK/verify.tsv"
  start=$(date +%s.%N)
  "$BIN" verify "${TABLES[@]}" --target "http://127.0.0.1:$PORT" --concurrency 8 > /dev/null
  echo "phe-migrate-once $(elapsed "$start") 0" >> "$WORK/verify.tsv"
  start=$(date +%s.%N)
  tr '\t' '\n' < "$WORK/requests.tsv" \
    | xargs -P8 -d '\n' -n2 sh -c 'curl -s -o /dev/null -H "Host: $0" -w "%{http_code} %{redirect_url}\n" "http://127.0.0.1:'"$PORT"'$1"' > "$WORK/curl.txt"
  echo "curl-xargs $(elapsed "$start") 0" >> "$WORK/verify.tsv"
  start=$(date +%s.%N)
  for list in "$WORK"/lychee-*.txt; do
    host=$(basename "$list" .txt); host=${host#lychee-}
    "$PEERS/bin/lychee" --no-progress --max-concurrency 8 --host-request-interval 0ms --max-redirects 0 \
      --accept 100..=599 -H "Host: $host" --format compact "$list" > /dev/null 2>&1 || true
  done
  echo "lychee $(elapsed "$start") 0" >> "$WORK/verify.tsv"
done
tail -1 "$WORK/verify.txt"
wrk -t2 -c8 -d5s -s "$WORK/wrk.lua" "http://127.0.0.1:$PORT/" | tee "$WORK/wrk.txt"
WRK_RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")

echo "== results"
build_ours=$(awk '$1=="phe-migrate" {print $2}' "$WORK/build.tsv" | median)
build_rss=$(awk '$1=="phe-migrate" {print $3}' "$WORK/build.tsv" | median)
floor=$(awk '$1=="sort-u" {print $2}' "$WORK/build.tsv" | median)
floor_rss=$(awk '$1=="sort-u" {print $3}' "$WORK/build.tsv" | median)
v_ours=$(awk '$1=="phe-migrate" {print $2}' "$WORK/verify.tsv" | median)
v_once=$(awk '$1=="phe-migrate-once" {print $2}' "$WORK/verify.tsv" | median)
v_curl=$(awk '$1=="curl-xargs" {print $2}' "$WORK/verify.tsv" | median)
v_lychee=$(awk '$1=="lychee" {print $2}' "$WORK/verify.tsv" | median)
python3 - "$ROOT/bench/RESULTS.md" "$URLS" "$MAPPINGS" "$RUNS" "$build_ours" "$build_rss" "$floor" "$floor_rss" \
  "$UNIQUE" "$REPEAT" "$v_ours" "$v_curl" "$v_lychee" "$WRK_RATE" "$v_once" <<'PY'
import datetime, os, platform, sys
(path, urls, mappings, runs, ours, ours_rss, floor, floor_rss, unique, repeat,
 v_ours, v_curl, v_lychee, wrk, v_once) = sys.argv[1:]
urls, mappings, unique, repeat = int(urls), int(mappings), int(unique), int(repeat)
ours, floor, v_ours, v_curl, v_lychee, wrk, v_once = map(float, (ours, floor, v_ours, v_curl, v_lychee, wrk, v_once))
r_once = unique / v_once
ours_mb, floor_mb = int(float(ours_rss)) // 1024, int(float(floor_rss)) // 1024
r_ours = unique * repeat / v_ours
r_curl = unique * repeat / v_curl
r_lychee = unique / v_lychee
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
out = [
    f"\n## Redirects — {datetime.date.today()}\n",
    f"Machine: {cpu}, {os.cpu_count()} cores. Medians of {runs} runs.\n",
    f"### Build + validate: {urls:,} legacy URLs, {mappings:,} mappings\n",
    "`report redirects` reads the store (URLs imported with `import urls`) and the mapping spreadsheet, resolves, validates and writes the Transition CSV. The floor is `sort -u` of the same URL list.\n",
    "| tool | time (s) | peak RSS (MB) | × floor |",
    "| --- | ---: | ---: | ---: |",
    f"| phe-migrate report redirects | {ours:.2f} | {ours_mb} | {ours / floor:.2f}× |",
    f"| sort -u (floor) | {floor:.2f} | {floor_mb} | 1.00× |\n",
    f"Targets: ≤ 5× the floor ({'met' if ours <= 5 * floor else '**not met**'}: {ours / floor:.2f}×), < 1 GB ({'met' if ours_mb < 1024 else '**not met**'}: {ours_mb} MB).\n",
    f"### Verify: the demo estate's table ({unique} URLs) against nginx\n",
    f"phe-migrate and the curl loop ask every URL {repeat} times (status, Location and, for phe-migrate, the archive link on 410/404 pages); lychee is given each URL once (it checks statuses only and does not repeat a URL). wrk cycles through the same requests for 5 s.\n",
    "| tool | requests/s | × wrk |",
    "| --- | ---: | ---: |",
    f"| phe-migrate verify --concurrency 8 | {r_ours:,.0f} | {r_ours / wrk:.2f} |",
    f"| phe-migrate verify, each URL once (like lychee) | {r_once:,.0f} | {r_once / wrk:.2f} |",
    f"| lychee 0.24.2, 8 concurrent | {r_lychee:,.0f} | {r_lychee / wrk:.2f} |",
    f"| curl, xargs -P8 | {r_curl:,.0f} | {r_curl / wrk:.2f} |",
    f"| wrk -t2 -c8 (floor) | {wrk:,.0f} | 1.00 |\n",
    f"Targets: faster than lychee while also checking Location ({'met' if r_once > r_lychee else '**not met**'}: {r_once / r_lychee:.1f}× on the same single pass, {r_ours / r_lychee:.1f}× over the repeated table), ≥ 50% of wrk ({'met' if r_ours >= 0.5 * wrk else '**not met**'}: {100 * r_ours / wrk:.0f}%). Times include starting each process.\n",
]
with open(path, "a") as f:
    f.write("\n".join(out))
print("\n".join(out))
PY
