"""Writes data.csv and golden.json: the profile numpy and pandas compute
for it, which TestProfileMatchesNumpy compares the engine's against.

Run from this folder with /usr/bin/python3 (numpy, pandas): python3 gen.py
"""
import json

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 1234

x = rng.normal(50, 12, n).round(3)  # decimals that survive CSV exactly
x_null = rng.random(n) < 0.1
skew = np.exp(rng.normal(0, 1, n)).round(4)
few = rng.integers(0, 3, n).astype(float)  # 3 values: deduplicated edges
const = np.full(n, 7.0)
t0 = 1764547200  # 2025-12-01T00:00:00Z
ts = t0 + rng.integers(0, 86400 * 90, n)
t_null = rng.random(n) < 0.05
# 60 categories with counts that tie, so the top 50 and their order are
# decided by value.
cats = np.array([f"c{i:02d}" for i in range(60)])
city = cats[rng.integers(0, 60, n) // 4 * 4 + rng.integers(0, 2, n)]
city_null = rng.random(n) < 0.02
word = np.array(["b", "a", "c", "a", "b", "a"] * (n // 6) + ["z"] * (n % 6))

df = pd.DataFrame({
    "x": pd.Series(x).mask(x_null),
    "skew": skew,
    "few": few,
    "const": const,
    "empty": pd.Series([np.nan] * n, dtype=float),
    "t": pd.Series(ts).mask(t_null),
    "city": pd.Series(city).mask(city_null),
    "word": word,
})

with open("data.csv", "w", newline="") as f:
    f.write(",".join(df.columns) + "\n")
    for i in range(n):
        cells = []
        for c in df.columns:
            v = df[c].iloc[i]
            if pd.isna(v):
                cells.append("")
            elif c == "t":
                cells.append(pd.Timestamp(int(v), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))
            elif isinstance(v, str):
                cells.append(v)
            else:
                cells.append(repr(float(v)))
        f.write(",".join(cells) + "\n")

probs = np.linspace(0, 1, 101)


def numeric(name, kind, s):
    s = s.astype(float)
    v = s.dropna().to_numpy()
    col = {"name": name, "kind": kind, "count": int(len(v)), "nulls": int(s.isna().sum()),
           "null_rate": float(s.isna().mean()), "distinct": int(s.nunique())}
    if len(v) == 0:
        return col
    q = np.quantile(v, probs)  # numpy's default: linear
    edges = []
    for e in np.quantile(v, np.linspace(0, 1, 11)):
        if not edges or e != edges[-1]:
            edges.append(float(e))
    if len(edges) == 1:
        counts = [int(len(v))]
    else:
        b = np.searchsorted(np.array(edges[1:-1]), v, side="right")
        counts = np.bincount(b, minlength=len(edges) - 1).tolist()
    col.update({"min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
                "std": float(s.std()) if len(v) > 1 else None,
                "quantiles": [float(a) for a in q], "edges": edges, "counts": [int(c) for c in counts]})
    return col


def categorical(name, s):
    v = s.dropna()
    counts = v.value_counts()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    return {"name": name, "kind": "string", "count": int(len(v)), "nulls": int(s.isna().sum()),
            "null_rate": float(s.isna().mean()), "distinct": int(s.nunique()),
            "categories": [{"value": k, "count": int(c)} for k, c in top],
            "other_count": int(len(v) - sum(c for _, c in top))}


golden = {"version": 1, "rows": n, "columns": [
    numeric("x", "float", df["x"]),
    numeric("skew", "float", df["skew"]),
    numeric("few", "float", df["few"]),
    numeric("const", "float", df["const"]),
    numeric("empty", "float", df["empty"]),
    numeric("t", "time", df["t"]),
    categorical("city", df["city"]),
    categorical("word", df["word"]),
]}
with open("golden.json", "w") as f:
    json.dump(golden, f, indent=1)
