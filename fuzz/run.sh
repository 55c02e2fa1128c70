#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), JOBS at a time (default 2), from seed
# corpora built out of the repository's own fixtures, and prints a Markdown table of what ran.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#
#   fuzz/run.sh            # every target, 10 minutes each
#   fuzz/run.sh 60 canonical warc_reader
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(canonical html_to_govspeak govspeak_to_html site_config mappings csv_import warc_reader access_log crawl_parsers)
fi
JOBS=${JOBS:-2}
ROOT=..

seed() { # seed TARGET FILE...
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
  done
  return 0
}
seed_lines() { # seed_lines TARGET LINES FILE: one seed per LINES lines
  local dir="corpus/$1"
  mkdir -p "$dir"
  split -l "$2" -d -a 4 "$3" "$dir/$(basename "$3")-"
}

seed_lines canonical 1 "$ROOT/fixtures/reference/transition_c14n_vectors.csv"
seed_lines canonical 1 "$ROOT/fixtures/reference/bouncer_request_vectors.csv"
seed html_to_govspeak $(find "$ROOT/fixtures/estate" -name '*.htm*' | sort | head -150) "$ROOT"/fixtures/govspeak/*.html
seed_lines govspeak_to_html 25 "$ROOT/fixtures/govspeak/govspeak-vectors.md"
seed govspeak_to_html $(find "$ROOT/fixtures/golden" -name '*.md' | sort)
seed site_config "$ROOT"/crawl-configs/*.yml
seed mappings "$ROOT"/mappings/*.yml
seed csv_import "$ROOT"/mappings/*.csv "$ROOT"/fixtures/traffic/*.csv
seed crawl_parsers $(find "$ROOT/fixtures/estate" -name '*.htm*' | sort | head -60) $(find "$ROOT/fixtures/estate" -name 'robots.txt' -o -name 'sitemap*' | sort)
seed_lines access_log 40 "$ROOT/fixtures/traffic/demo_hpa-access.log"
mkdir -p corpus/warc_reader
body=$'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<p>Hello</p>\n'
printf 'WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: http://www.example.org.uk/\r\nWARC-Date: 2014-05-07T01:16:58Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n' "${#body}" "$body" > corpus/warc_reader/response.warc
gzip -c corpus/warc_reader/response.warc > corpus/warc_reader/response.warc.gz

# Build once, then run the binaries themselves, so that editing the sources while the
# fuzzers run does not rebuild them midway.
cargo +nightly fuzz build -O >/dev/null 2>&1
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
run() {
  local t=$1
  mkdir -p "artifacts/$t"
  "$BIN/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECONDS_EACH" \
    -max_len=262144 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 "corpus/$t" > "logs/$t.log" 2>&1 || true
}
export -f run
export SECONDS_EACH BIN
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run {}'

echo "| target | seconds | executions | corpus | crashes |"
echo "| --- | ---: | ---: | ---: | ---: |"
for t in "${TARGETS[@]}"; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo 0)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "logs/$t.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "?")
  corpus=$(ls "corpus/$t" | wc -l)
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  echo "| \`$t\` | $secs | $runs | $corpus | $crashes |"
done
