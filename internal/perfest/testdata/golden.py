#!/usr/bin/python3
"""Golden numbers for internal/perfest, computed independently with numpy,
scipy and scikit-learn. Run from this folder:
    /usr/bin/python3 golden.py > golden.json

DeLong's variance is computed here from its definition, pair by pair
(O(m·n)), not from midranks; Wilson from scipy's binomtest; isotonic
calibration from scikit-learn's IsotonicRegression(out_of_bounds="clip").
"""
import json
import sys

import numpy as np
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import f1_score, roc_auc_score

rng = np.random.default_rng(12)
n = 400
y = rng.random(n) < 0.35
score = np.where(y, rng.normal(0.9, 1, n), rng.normal(0, 1, n))
proba = np.round(1 / (1 + np.exp(-score)), 3)  # rounded: ties happen
pred = proba > 0.5

pos, neg = proba[y], proba[~y]
psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
auc = psi.mean()
var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)

correct = int(np.sum(pred == y))
ci = stats.binomtest(correct, n).proportion_ci(confidence_level=0.95, method="wilson")

ref_p = np.round(rng.beta(2, 3, 300), 2)
ref_y = rng.random(300) < ref_p ** 1.5
iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(ref_p, ref_y.astype(float))
grid = np.linspace(-0.05, 1.05, 45)

json.dump({
    "labels": [bool(v) for v in y], "proba": [float(v) for v in proba],
    "accuracy": correct / n, "accuracy_low": ci.low, "accuracy_high": ci.high,
    "f1": float(f1_score(y, pred)),
    "auc": float(auc), "auc_sklearn": float(roc_auc_score(y, proba)), "auc_se": float(np.sqrt(var)),
    "calibration": {"proba": [float(v) for v in ref_p], "labels": [bool(v) for v in ref_y],
                    "grid": [float(v) for v in grid], "calibrated": [float(v) for v in iso.predict(np.clip(grid, 0, 1))]},
}, sys.stdout)
