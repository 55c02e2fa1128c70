"""Turns bench/crawl.sh's raw runs into a Markdown section with medians and ratios."""

import datetime
import os
import re
import platform
import statistics
import subprocess
import sys

work, pages, runs, concurrency, large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = {}
for line in open(os.path.join(work, "runs.txt")):
    name, _, wall, rss, requests, distinct, ok = line.split()
    rows.setdefault(name, []).append((float(wall), int(rss), int(requests), int(distinct), int(ok)))
wrk = [float(x) for x in open(os.path.join(work, "wrk.txt")) if x.strip()]


def median(values):
    return statistics.median(values)


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        line = (out.stdout or out.stderr).strip().splitlines()[0]
        return re.sub(r"\x1b\[[0-9;]*m", "", line).replace("Version: ", "siteone-crawler ").replace("nginx version: ", "")
    except Exception:
        return "?"


cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
summary = {}
for name, rs in rows.items():
    wall = median([r[0] for r in rs])
    distinct = median([r[3] for r in rs])
    summary[name] = dict(wall=wall, rss=median([r[1] for r in rs]) / 1024, requests=median([r[2] for r in rs]),
                         distinct=distinct, ok=median([r[4] for r in rs]), rate=distinct / wall if wall else 0)
ours = summary.get("phe-migrate")
version_commands = {
    "wget2": ["wget2", "--version"],
    "wget": ["wget", "--version"],
    "scrapy": ["scrapy", "version"],
    "siteone-crawler": [os.path.join(os.path.dirname(os.path.dirname(work)), ".peers/bin/siteone-crawler"), "--version"],
}
versions = [version(cmd) for name, cmd in version_commands.items() if name in summary] + [version(["nginx", "-v"])]
print(f"\n## Crawl: {pages:,}-page generated site on nginx, {datetime.date.today().isoformat()}\n")
print(f"Machine: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}. Concurrency {concurrency} for every tool, politeness off, "
      f"robots.txt obeyed; medians of {runs} rounds (each tool once a round); URLs counted from nginx's access log. Versions: "
      f"{'; '.join(versions)}.\n")
print("| tool | wall (s) | distinct URLs | requests | URLs/s | peak RSS (MB) | phe-migrate's rate ÷ this |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name in ["phe-migrate", "wget2", "wget", "scrapy", "siteone-crawler"]:
    if name not in summary:
        continue
    s = summary[name]
    ratio = f"{ours['rate'] / s['rate']:.2f}×" if ours and s["rate"] else "—"
    print(f"| {name} | {s['wall']:.2f} | {s['distinct']:,.0f} | {s['requests']:,.0f} | {s['rate']:,.0f} | {s['rss']:.0f} | {ratio} |")
if wrk:
    floor = median(wrk)
    share = f"{ours['rate'] / floor:.0%}" if ours else "—"
    print(f"| wrk (one page, server floor) | | | | {floor:,.0f} | | phe-migrate at {share} of it |")
if large.strip():
    n, wall, rss, requests = large.split()
    print(f"\nAt {int(n):,} pages: one crawl took {float(wall):.1f} s ({int(requests):,} requests), peak RSS {int(rss) / 1024:.0f} MB.")
print()
