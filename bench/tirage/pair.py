#!/usr/bin/env python3
"""Runs the peer `sortition-algorithms` (PyPI) on one instance, asking for leximin, and reports
which algorithm it actually ran (without Gurobi it silently falls back to maximin), its time and
the smallest selection probability of its distribution.

Usage: pair.py features.csv people.csv K  →  one JSON line on stdout.
"""
import csv
import json
import os
import sys
import time

from sortition_algorithms import core
from sortition_algorithms.committee_generation import leximin as lx
from sortition_algorithms.features import read_in_features
from sortition_algorithms.people import read_in_people
from sortition_algorithms.settings import DEFAULT_BACKEND, Settings

features_csv, people_csv, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(features_csv, newline="", encoding="utf-8-sig") as fh:
    r = csv.DictReader(fh, strict=True)
    features, _, _ = read_in_features(list(r.fieldnames), list(r), k)
with open(people_csv, newline="", encoding="utf-8-sig") as fh:
    r = csv.DictReader(fh, strict=True)
    settings = Settings(id_column="id", columns_to_keep=[])
    people, _ = read_in_people(list(r.fieldnames), list(r), features, settings)

# Capture the distribution of whichever algorithm core dispatches to.
captured = {}
for name in ("find_distribution_leximin", "find_distribution_maximin", "find_distribution_nash"):
    orig = getattr(core, name)

    def wrap(*a, _orig=orig, _name=name, **kw):
        res = _orig(*a, **kw)
        captured["algorithm"] = _name.replace("find_distribution_", "")
        captured["committees"], captured["probabilities"] = res[0], res[1]
        return res

    setattr(core, name, wrap)

# The peer and HiGHS print to stdout (also from C): send fd 1 to stderr while it runs.
sys.stdout.flush()
saved = os.dup(1)
os.dup2(2, 1)
t0 = time.perf_counter()
try:
    _, report = core.find_random_sample(
        features, people, k, [], selection_algorithm="leximin", solver_backend=DEFAULT_BACKEND
    )
finally:
    elapsed = time.perf_counter() - t0
    sys.stdout.flush()
    os.dup2(saved, 1)
text = report.as_text()
probs = {pid: 0.0 for pid in people}
for c, p in zip(captured.get("committees", []), captured.get("probabilities", [])):
    for pid in c:
        probs[pid] += p
print(json.dumps({
    "requested": "leximin",
    "ran": captured.get("algorithm", "?"),
    "gurobi_available": lx.GUROBI_AVAILABLE,
    "fallback_reported": "Switching to the simpler maximin" in text or "Gurobi" in text,
    "backend": DEFAULT_BACKEND,
    "seconds": elapsed,
    "min_probability": min(probs.values()),
    "panels": len(captured.get("committees", [])),
}))
