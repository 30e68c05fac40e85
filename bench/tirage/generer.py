#!/usr/bin/env python3
"""Deterministic generator of sortition instances shaped like those of Flanigan et al. (Nature 2021).

Each instance: people.csv (id + one column per feature) and features.csv (feature,value,min,max).
The pool is skewed against the population targets (self-selection bias), some values are rare,
features are correlated (age drives education and occupation), and quotas are tight around the
population targets, so the leximin probabilities are far from uniform.

Usage: python3 generer.py OUTDIR   (writes OUTDIR/<name>/{people,features}.csv)
"""
import csv
import math
import os
import random
import sys

# name, pool size n, panel size k, number of features
SHAPES = [
    ("n70_k24_f5", 70, 24, 5),
    ("n239_k30_f7", 239, 30, 7),
    ("n312_k35_f6", 312, 35, 6),
    ("n321_k30_f8", 321, 30, 8),
    ("n825_k75_f4", 825, 75, 4),
    ("n1727_k110_f7", 1727, 110, 7),
    ("n2000_k200_f2", 2000, 200, 2),
]

FEATURES = [
    ("genre", ["femme", "homme", "autre"], [0.505, 0.48, 0.015]),
    ("age", ["16-29", "30-44", "45-59", "60-74", "75+"], [0.2, 0.24, 0.25, 0.2, 0.11]),
    ("territoire", ["urbain", "periurbain", "rural", "montagne"], [0.45, 0.3, 0.2, 0.05]),
    ("diplome", ["aucun", "bac", "licence", "master+"], [0.25, 0.35, 0.25, 0.15]),
    ("activite", ["emploi", "chomage", "etudes", "retraite", "autre"], [0.5, 0.07, 0.1, 0.28, 0.05]),
    ("logement", ["proprietaire", "locataire", "heberge"], [0.55, 0.4, 0.05]),
    ("opinion", ["inquiet", "neutre", "confiant"], [0.4, 0.35, 0.25]),
    ("transport", ["voiture", "commun", "velo-marche"], [0.6, 0.3, 0.1]),
]


def skew(rng, shares):
    # Self-selection: volunteers over-represent some values by up to ×2.5, rare ones stay rare.
    w = [s * rng.uniform(0.4, 2.5) for s in shares]
    t = sum(w)
    return [x / t for x in w]


def pick(rng, values, weights):
    return rng.choices(values, weights=weights, k=1)[0]


def generate(name, n, k, nf, outdir):
    rng = random.Random(f"parcours-tirage-{name}")
    feats = FEATURES[:nf]
    pool_shares = [skew(rng, s) for (_, _, s) in feats]
    people = []
    for i in range(n):
        row = {}
        for j, (fname, values, _) in enumerate(feats):
            w = list(pool_shares[j])
            # Correlations: age shifts occupation and education, which multiplies types.
            if fname == "activite" and "age" in row:
                a = row["age"]
                if a in ("60-74", "75+"):
                    w = [0.15, 0.02, 0.0, 0.8, 0.03]
                elif a == "16-29":
                    w = [0.4, 0.12, 0.4, 0.0, 0.08]
            if fname == "diplome" and row.get("age") == "75+":
                w = [0.5, 0.3, 0.15, 0.05]
            row[fname] = pick(rng, values, w)
        people.append((f"P{i + 1:05d}", row))
    counts = {(f, v): 0 for (f, vs, _) in feats for v in vs}
    for _, row in people:
        for f, v in row.items():
            counts[(f, v)] += 1
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "people.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id"] + [f for (f, _, _) in feats])
        for pid, row in people:
            w.writerow([pid] + [row[f] for (f, _, _) in feats])
    with open(os.path.join(d, "features.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["feature", "value", "min", "max"])
        for fname, values, shares in feats:
            for v, s in zip(values, shares):
                target = k * s
                lo = max(0, math.floor(target * 0.9) - (1 if target < 5 else 0))
                hi = math.ceil(target * 1.1) + (1 if target < 5 else 0)
                lo = min(lo, counts[(fname, v)])
                w.writerow([fname, v, lo, max(hi, lo)])
    return d


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "instances"
    only = sys.argv[2:] or None
    for name, n, k, nf in SHAPES:
        if only and name not in only:
            continue
        print(generate(name, n, k, nf, out), k)
