"""Times Python's html2text over the benchmark corpus (pages decoded in memory first).
Prints `tool pages seconds`.

    python3 html2text_bench.py SITE_DIR
"""
import json
import sys
import time
from pathlib import Path

import html2text

site = Path(sys.argv[1])
pages = []
for line in (site / "truth.jsonl").read_text().splitlines():
    p = json.loads(line)["path"]
    f = site / "www" / ("index.htm" if p == "/" else p[1:])
    pages.append(f.read_bytes().decode("cp1252", errors="replace"))
started = time.perf_counter()
for html in pages:
    h = html2text.HTML2Text()
    h.body_width = 0
    h.handle(html)
print(f"html2text {len(pages)} {time.perf_counter() - started:.3f}")
