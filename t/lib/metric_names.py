#!/usr/bin/env python3
"""metric_names.py - the metric names that the Grafana dashboard and the
Prometheus rules of etc/ use, matching PATTERN, must all be in a scrape

    metric_names.py TOP_SRCDIR SCRAPE_FILE PATTERN [EXEMPT]

Names matching the regular expression EXEMPT are not required (families
that exist only with some configurations). Prints "uses N metrics;
missing: ..." and exits 1 when one is missing or none is used."""
import json
import re
import sys

top, scrape, pattern = sys.argv[1:4]
exempt = sys.argv[4] if len(sys.argv) > 4 else None
have = {l.split("{")[0].split()[0] for l in open(scrape) if l[0] != "#"}
d = json.load(open(top + "/etc/grafana/dkimd-dashboard.json"))
text = " ".join(t["expr"] for p in d["panels"] for t in p["targets"])
text += open(top + "/etc/prometheus/dkimd-rules.yml").read()
used = set(re.findall(r"\b" + pattern + r"\b", text))
missing = sorted(u for u in used if u not in have and
                 not (exempt and re.search(exempt, u)))
print("uses %d metrics; missing: %s" % (len(used), missing or "none"))
sys.exit(1 if missing or not used else 0)
