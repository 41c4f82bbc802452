#!/usr/bin/env python3
"""OCSP fetches per certificate per refresh window, from the instances' `stapling: fetched`
log lines (docs/benchmarks/cluster.md).

A staple one instance fetches is stored; the others adopt it, each planning its own refresh
at a jittered point of its validity (StaplePolicy: refreshFraction 0.5 ± refreshJitter 0.1).
The cluster fetches again when the first instance falls due, never earlier than
EARLIEST_REFRESH seconds (0.4 × the validity) after the fetch. So one fetch per certificate
per window means: no two fetches of one certificate, by any instances, closer together than
EARLIEST_REFRESH. A pair closer than that is a duplicate.

    fetch-windows.py EARLIEST_REFRESH SERVER_LOG...

prints certificates, fetches, duplicates, and the shortest and median gap in seconds between
two fetches of one certificate.
"""
import collections
import datetime
import re
import statistics
import sys

LINE = re.compile(r"^(\S+) .*stapling: fetched ([0-9a-f]+): ")

earliest = float(sys.argv[1])
fetches = collections.defaultdict(list)
for path in sys.argv[2:]:
    with open(path, errors="replace") as log:
        for line in log:
            match = LINE.match(line)
            if match:
                # Log times have whole seconds: a gap is known to ±1 s.
                fetches[match.group(2)].append(datetime.datetime.strptime(match.group(1)[:19], "%Y-%m-%dT%H:%M:%S"))

gaps = []
for times in fetches.values():
    times.sort()
    gaps += [(b - a).total_seconds() for a, b in zip(times, times[1:])]
duplicates = sum(1 for gap in gaps if gap < earliest - 1)
total = sum(len(times) for times in fetches.values())
print(f"certificates={len(fetches)} fetches={total} duplicates={duplicates} "
      f"shortest_gap_s={min(gaps) if gaps else 'n/a'} median_gap_s={statistics.median(gaps) if gaps else 'n/a'}")
