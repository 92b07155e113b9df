# The scikit-learn side of dev/bench/gbtsearch: RandomizedSearchCV over
# XGBClassifier(tree_method="hist", n_jobs=1) with n_jobs parallel fits, on
# mlpipe's folds. Reads one JSON request (argv[1]), prints one JSON result.
#
# max_depth None is the seed's unlimited depth. XGBClassifier reads None as
# "library default" (6), so it is set as XGBoost spells unlimited depth and
# as mlpipe sets it: max_depth 0 with grow_policy lossguide. Every space is
# a list of dicts of lists, so RandomizedSearchCV draws without replacement
# from their grid: with "points" (mlpipe's own sampled configurations, one
# dict each, n_iter = their count) it evaluates exactly those; with "space"
# it draws n_iter of the seed's grid itself (random_state = seed).
import json, sys, time, warnings

warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
import sklearn, xgboost as xgb
from sklearn.model_selection import RandomizedSearchCV

req = json.load(open(sys.argv[1]))


def depth(d):
    return {"max_depth": [0], "grow_policy": ["lossguide"]} if d is None else {"max_depth": [d], "grow_policy": ["depthwise"]}


def grid():
    if req["mode"] == "points":
        out = []
        for p in req["points"]:
            g = {k: [v] for k, v in p.items() if k != "max_depth"}
            if "max_depth" in p:
                g.update(depth(p["max_depth"]))
            out.append(g)
        return out
    space = dict(req["space"])
    depths = space.pop("max_depth", None)
    if depths is None:
        return [space]
    limited = [d for d in depths if d is not None]
    out = []
    if limited:
        out.append({**space, "max_depth": limited, "grow_policy": ["depthwise"]})
    if len(limited) < len(depths):
        out.append({**space, "max_depth": [0], "grow_policy": ["lossguide"]})
    return out


df = pd.read_csv(req["train"])
X = df.drop(columns=[df.columns[-1]]).to_numpy(dtype=np.float64)
y = df[df.columns[-1]].to_numpy().astype(int)
n = len(y)
# mlpipe's folds (tune.StratifiedKFold), so both sides score the same rows.
cv = []
for val in req["folds"]:
    mask = np.zeros(n, dtype=bool)
    mask[val] = True
    cv.append((np.flatnonzero(~mask), np.flatnonzero(mask)))
# The base configuration: every parameter mlpipe's Params has under the
# same name, the seed as random_state, XGBoost 1.7's base_score as mlpipe
# sets it.
b = dict(req["base"])
seed = b.pop("seed")
base_depth = depth(b.pop("max_depth"))
est = xgb.XGBClassifier(tree_method="hist", n_jobs=1, random_state=seed, base_score=0.5, **b,
                        **{k: v[0] for k, v in base_depth.items()})
g = grid()
search = RandomizedSearchCV(est, g, n_iter=req["n_iter"], cv=cv, scoring=req["scoring"], n_jobs=req["n_jobs"],
                            random_state=req["seed"], refit=False, error_score="raise")
t = time.perf_counter()
search.fit(X, y)
wall = time.perf_counter() - t
r = search.cv_results_
folds = len(cv)


def plain(params):
    out = {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}
    if out.pop("grow_policy", None) == "lossguide":
        out["max_depth"] = None
    return out


print(json.dumps({
    "version": "scikit-learn %s, xgboost %s" % (sklearn.__version__, xgb.__version__),
    "wall_seconds": wall,
    "fit_seconds": float(np.nansum(r["mean_fit_time"]) * folds),
    "score_seconds": float(np.nansum(r["mean_score_time"]) * folds),
    "trials": len(r["params"]),
    "best_score": float(search.best_score_),
    "best_params": plain(search.best_params_),
}))
