#!/usr/bin/python3
"""Golden numbers for internal/drift, computed independently with numpy and
scipy. Run from this folder:  /usr/bin/python3 golden.py > golden.json

Numeric: the reference profile is built with numpy (101 quantiles by
np.quantile's linear rule, decile edges without duplicates, counts on them);
KS and W1 come from scipy's ks_2samp and wasserstein_distance against a
large sample "equivalent to the quantiles" (the piecewise linear quantile
function at M evenly spaced probabilities), and the KS p-value from
kstwobign at sqrt(n*m/(n+m))*D; PSI from numpy. Categorical: scipy's
chi2_contingency (no continuity correction) and jensenshannon (base 2).
"""
import json

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

M = 200_000  # size of the sample equivalent to the reference quantiles
EPS = 1e-4   # PSI's share for an empty bin
rng = np.random.default_rng(20261205)


def r6(a):
    return [float(x) for x in np.round(np.asarray(a, dtype=float), 6)]


def profile(ref):
    q = np.quantile(ref, np.linspace(0, 1, 101))
    edges = []
    for e in q[::10]:
        if not edges or e != edges[-1]:
            edges.append(float(e))
    counts = bincount(edges, ref)
    return {"count": len(ref), "std": float(np.std(ref, ddof=1)), "quantiles": [float(x) for x in q],
            "edges": edges, "counts": counts}


def bincount(edges, xs):
    bins = max(len(edges) - 1, 1)
    interior = np.asarray(edges[1:bins])
    idx = np.searchsorted(interior, xs, side="right")
    return [int(c) for c in np.bincount(idx, minlength=bins)]


def numeric_case(name, ref, cur):
    ref, cur = r6(ref), r6(cur)
    p = profile(np.asarray(ref))
    equiv = np.interp((np.arange(M) + 0.5) / M, np.linspace(0, 1, 101), p["quantiles"])
    d = stats.ks_2samp(cur, equiv).statistic
    n, m = len(cur), p["count"]
    pval = stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * d)
    w1 = stats.wasserstein_distance(cur, equiv)
    rc = np.asarray(p["counts"], float) / m
    cc = np.asarray(bincount(p["edges"], cur), float) / n
    rc[rc == 0] = EPS
    cc[cc == 0] = EPS
    psi = float(np.sum((cc - rc) * np.log(cc / rc)))
    return {"name": name, "reference_values": ref, "current": cur, "profile": p,
            "current_counts": bincount(p["edges"], cur),
            "ks": float(d), "p_value": float(pval), "wasserstein": float(w1),
            "wasserstein_norm": float(w1 / p["std"]), "psi": psi}


def categorical_case(name, ref, cur, top=50):
    vals, counts = np.unique(ref, return_counts=True)
    order = sorted(range(len(vals)), key=lambda i: (-counts[i], vals[i]))
    cats = [(str(vals[i]), int(counts[i])) for i in order[:top]]
    other = int(sum(counts[i] for i in order[top:]))
    listed = {c for c, _ in cats}
    ref_row = [c for _, c in cats]
    cur_row = [int(np.sum(np.asarray(cur) == c)) for c, _ in cats]
    outside = int(sum(1 for v in cur if v not in listed))
    labels = [c for c, _ in cats]
    if other > 0 or outside > 0:
        ref_row.append(other)
        cur_row.append(outside)
        labels.append("(other)" if other > 0 else "(unseen)")
    table = np.array([ref_row, cur_row])
    table = table[:, table.sum(axis=0) > 0]
    chi2, pval, dof, _ = stats.chi2_contingency(table, correction=False)
    p = np.asarray(ref_row, float) / sum(ref_row)
    q = np.asarray(cur_row, float) / sum(cur_row)
    change = np.abs(q - p)
    return {"name": name, "reference_values": [str(v) for v in ref], "current": [str(v) for v in cur],
            "labels": labels, "reference_counts": ref_row, "current_counts": cur_row,
            "chi_square": float(chi2), "p_value": float(pval), "df": int(dof),
            "jensen_shannon": float(jensenshannon(p, q, base=2)),
            "max_share_change": float(change.max()), "max_share_category": labels[int(change.argmax())]}


def draw(cats, probs, n):
    return list(rng.choice(cats, size=n, p=probs))


numeric = [
    numeric_case("normal, no drift", rng.normal(10, 2, 1000), rng.normal(10, 2, 800)),
    numeric_case("normal, 0.3 sigma shift", rng.normal(10, 2, 1000), rng.normal(10.6, 2, 800)),
    numeric_case("lognormal, wider", rng.lognormal(0, 0.5, 1000), rng.lognormal(0.1, 0.8, 600)),
    numeric_case("poisson atoms, shifted", rng.poisson(1.5, 1000), rng.poisson(2.0, 700)),
    numeric_case("outside the reference range", rng.uniform(0, 1, 1000), rng.uniform(-0.5, 1.5, 500)),
    numeric_case("small window", rng.normal(0, 1, 1000), rng.normal(0.2, 1, 40)),
]
plans = ["basic", "standard", "premium", "enterprise"]
many = [f"c{i:02d}" for i in range(60)]
manyp = np.linspace(2, 1, 60) / np.linspace(2, 1, 60).sum()
categorical = [
    categorical_case("no drift", draw(plans, [0.4, 0.3, 0.2, 0.1], 1000), draw(plans, [0.4, 0.3, 0.2, 0.1], 800)),
    categorical_case("shift and an unseen value", draw(plans, [0.4, 0.3, 0.2, 0.1], 1000),
                     draw(plans + ["trial"], [0.3, 0.3, 0.2, 0.1, 0.1], 700)),
    categorical_case("beyond the top 50", draw(many, manyp, 1000), draw(many, manyp[::-1], 900)),
    categorical_case("binary", draw(["active", "inactive"], [0.78, 0.22], 1000),
                     draw(["active", "inactive"], [0.72, 0.28], 500)),
]
kolmogorov = [{"x": x, "sf": float(stats.kstwobign.sf(x))} for x in [0.2, 0.5, 0.8, 0.99, 1.0, 1.36, 1.63, 2.5, 5.0]]
json.dump({"numeric": numeric, "categorical": categorical, "kolmogorov": kolmogorov}, __import__("sys").stdout)
