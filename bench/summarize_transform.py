"""Summarises bench/transform.sh: speed (medians) and quality, ours beside
paste-html-to-govspeak, against each generated page's known main text (truth.jsonl).

    python3 summarize_transform.py WORK PAGES RUNS SLOW_RUNS
"""
import collections
import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

work, pages_arg, runs, slow_runs = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
site = work / "site" / "generated"
truth = [json.loads(l) for l in (site / "truth.jsonl").read_text().splitlines()]
HOST = "http://www.generated-legacy.org.uk"

# ---- speed
runs_by_tool = collections.defaultdict(list)
for line in (work / "runs.txt").read_text().splitlines():
    tool, _run, wall, rss, timed = line.split()
    runs_by_tool[tool].append((float(timed), int(rss)))
# The runs' folders are in WORK, or on tmpfs behind the link WORK/ours (see transform.sh).
ours_root = work / "ours" if (work / "ours" / "ours-1-1").is_dir() else work
ours_dir = ours_root / "ours-1-1" / "out" / "bench_rich"
with open(ours_dir / "transform.csv", newline="") as f:
    ours_rows = list(csv.DictReader(f))
ours_items = len(ours_rows)


def rate(tool):
    seconds = statistics.median(t for t, _ in runs_by_tool[tool])
    count = ours_items if tool.startswith("phe-migrate") else len(truth)
    if tool == "pandoc":
        count = pandoc_pages
    return count / seconds, seconds, max(r for _, r in runs_by_tool[tool]) / 1024, count


pandoc_pages = len((work / "utf8" / "list.txt").read_text().split())
rates = {tool: rate(tool) for tool in runs_by_tool}
ours1 = rates["phe-migrate-jobs-1"][0]
ours2 = rates["phe-migrate-jobs-2"][0]

# ---- quality
TOKEN = re.compile(r"[a-z0-9]+")
LEAKS = ("zzscriptleak", "zzstyleleak", "zzcommentleak", "zznoscriptleak", "_gaq", "MM_swapImage")


def tokens(text):
    return collections.Counter(TOKEN.findall(text.lower()))


def plain(markdown):
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets are not text
    text = re.sub(r"<https?://[^>]*>", " ", text)
    text = re.sub(r"^\|?[\s:|-]+\|[\s:|-]*$", " ", text, flags=re.M)  # table separators
    return text


def f1(got, want):
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(got.values()), overlap / sum(want.values())
    return p, r, 2 * p * r / (p + r)


def cells(row):
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def tables(markdown):
    """(tables, valid tables): a pipe table is valid with a separator row second and the
    same number of cells in every row."""
    found = valid = 0
    block = []
    for line in markdown.splitlines() + [""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 or (block and "---" in block[0]):
            found += 1
            sep = len(block) >= 2 and re.fullmatch(r"\s*\|?(\s*:?-{3,}:?\s*\|)*\s*:?-{3,}:?\s*\|?\s*", block[1])
            if sep and len({cells(r) for r in block}) == 1:
                valid += 1
        block = []
    return found, valid


slug_of = {}
for row in ours_rows:
    slug_of[row["legacy_url"]] = row["base_path"].rsplit("/", 1)[-1]


def ours_output(n, page):
    slug = slug_of.get(HOST + page["path"])
    if slug is None:
        return None, []
    md = (ours_dir / "content" / f"{slug}.md").read_text()
    item = json.loads((ours_dir / "content" / f"{slug}.json").read_text())
    files = [a.get("filename", "") for a in item.get("details", {}).get("attachments", [])]
    return md, files


def paste_output(n, page):
    f = work / "paste" / f"{n}.md"
    return (f.read_text() if f.exists() else None), []


def link_kept(md, files, href, text):
    if f"[{text}](" in md:
        return True
    name = href.rsplit("/", 1)[-1]
    return f"[Attachment: {name}]" in md or f"[AttachmentLink: {name}]" in md or name in files


quality = {}
samples = {}
for tool, output in (("phe-migrate", ours_output), ("paste-html-to-govspeak", paste_output)):
    scores, links, kept, found, valid, want_tables, leaked, missing = [], 0, 0, 0, 0, 0, 0, 0
    sample = []
    for n, page in enumerate(truth):
        md, files = output(n, page)
        if md is None:
            missing += 1
            continue
        scores.append(f1(tokens(plain(md)), tokens(page["text"])))
        for href, text in page["links"]:
            links += 1
            kept += link_kept(md, files, href, text)
        t_found, t_valid = tables(md)
        found, valid, want_tables = found + t_found, valid + t_valid, want_tables + page["tables"]
        leaked += any(marker in md for marker in LEAKS)
        if n % 10 == 0:
            path = work / "kramdown" / tool / f"{n}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(md)
            sample.append((str(path), page["tables"]))
    quality[tool] = {
        "precision": statistics.mean(s[0] for s in scores),
        "recall": statistics.mean(s[1] for s in scores),
        "f1": statistics.mean(s[2] for s in scores),
        "links": (kept, links),
        "tables": (valid, found, want_tables),
        "leaked": leaked,
        "missing": missing,
        "pages": len(scores),
    }
    samples[tool] = sample

for tool, sample in samples.items():
    result = subprocess.run(
        ["ruby", str(Path(__file__).parent / "peers" / "kramdown_check.rb")],
        input="\n".join(p for p, _ in sample) + "\n", capture_output=True, text=True, check=True,
    )
    want = dict(sample)
    clean = tables_seen = tables_wanted = 0
    for line in result.stdout.splitlines():
        name, warnings, seen = line.split("\t")
        clean += warnings == "0"
        tables_seen += min(int(seen), want[name])
        tables_wanted += want[name]
    quality[tool]["kramdown"] = (clean, len(sample), tables_seen, tables_wanted)


# ---- report
def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception:
        return "?"


cpu = "?"
for line in Path("/proc/cpuinfo").read_text().splitlines():
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
today = datetime.date.today().isoformat()
print(f"\n## Transform: {len(truth):,} generated heavy legacy pages, {today}\n")
print(f"Machine: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}. Pages average "
      f"{statistics.mean(len(p['text']) for p in truth) / 1000:.1f} kB of main text in "
      f"{sum(f.stat().st_size for f in (site / 'www').rglob('*.htm')) / len(truth) / 1000:.1f} kB of windows-1252 HTML "
      "(header, menu cell, scripts, styles, Word markup, nested lists, tables of figures, layout tables, footer). "
      f"Medians of {runs} runs (phe-migrate, mdka, parse-only) and {slow_runs} run(s) (the slower peers). "
      f"Versions: {version(['pandoc', '--version'])}; {version(['node', '--version'])} with paste-html-to-govspeak 0.5.0; "
      f"html2text 2025.4.15; mdka 3.3.0; kramdown {version(['ruby', '-rkramdown', '-e', 'puts Kramdown::VERSION'])}.\n")
print(f"phe-migrate's time is the whole `transform` command: reading the crawl store, decompressing, decoding, "
      "parsing, extracting the main content, converting, rendering the Govspeak to HTML, building and "
      "validating each publisher_v2 item against its schema, and writing the .md, .json and CSVs "
      f"({'on tmpfs, where creating files costs no disk inode search' if ours_root != work else 'on disk'}). "
      "The peers' times cover conversion only, pages already decoded in memory; pandoc runs in one "
      "process (a Lua filter calling its HTML reader and GFM writer per page), which is faster than "
      f"one process per page; it is timed on the first {pandoc_pages:,} pages.\n")
print("| tool | pages | seconds | pages/s | peak RSS (MB) | phe-migrate --jobs 1 ÷ this |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
order = ["phe-migrate-jobs-1", "phe-migrate-jobs-2", "parse", "mdka", "paste-html-to-govspeak", "pandoc", "html2text"]
names = {"phe-migrate-jobs-1": "phe-migrate transform --jobs 1", "phe-migrate-jobs-2": "phe-migrate transform --jobs 2",
         "parse": "html5ever parse only (scraper's DOM)", "mdka": "mdka (Rust)", "pandoc": "pandoc -f html -t gfm"}
for tool in order:
    if tool not in rates:
        continue
    r, seconds, rss, count = rates[tool]
    print(f"| {names.get(tool, tool)} | {count:,} | {seconds:.2f} | {r:,.0f} | {rss:.0f} | {ours1 / r:.2f}× |")
print()
targets = [
    ("≥ 20× paste-html-to-govspeak", ours1 / rates["paste-html-to-govspeak"][0], 20),
    ("≥ mdka's single-thread pages/s (whole transform)", ours1 / rates["mdka"][0], 1),
    ("≥ 40% of the parse-only rate", ours1 / rates["parse"][0], 0.4),
    ("≥ 1.8× from 1 to 2 jobs", ours2 / ours1, 1.8),
]
print("| target | measured | met |")
print("| --- | ---: | --- |")
for name, value, want in targets:
    print(f"| {name} | {value:.2f}× | {'yes' if value >= want else '**no**'} |")
print()
print("Quality on the same pages, against each page's main text as generated (truth.jsonl): "
      "paste-html-to-govspeak is given the whole page, as an editor would paste it; phe-migrate "
      "finds the main content itself. Kramdown (the parser Govspeak builds on) is run on every "
      "tenth page.\n")
print("| measure | phe-migrate | paste-html-to-govspeak |")
print("| --- | ---: | ---: |")
a, b = quality["phe-migrate"], quality["paste-html-to-govspeak"]
print(f"| token F1 of the main text | {a['f1']:.3f} | {b['f1']:.3f} |")
print(f"| recall / precision | {a['recall']:.3f} / {a['precision']:.3f} | {b['recall']:.3f} / {b['precision']:.3f} |")
print(f"| links kept | {a['links'][0]:,} of {a['links'][1]:,} | {b['links'][0]:,} of {b['links'][1]:,} |")
print(f"| pipe tables valid (separator row, equal cells) | {a['tables'][0]:,} of {a['tables'][1]:,} ({a['tables'][2]:,} data tables in the pages) | {b['tables'][0]:,} of {b['tables'][1]:,} |")
print(f"| pages with script, style or comment text | {a['leaked']:,} | {b['leaked']:,} |")
print(f"| kramdown: pages parsed without warnings | {a['kramdown'][0]:,} of {a['kramdown'][1]:,} | {b['kramdown'][0]:,} of {b['kramdown'][1]:,} |")
print(f"| kramdown: data tables read as tables | {a['kramdown'][2]:,} of {a['kramdown'][3]:,} | {b['kramdown'][2]:,} of {b['kramdown'][3]:,} |")
print(f"| pages without output | {a['missing']} | {b['missing']} |")
