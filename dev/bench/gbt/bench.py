# The Python side of dev/bench/gbt: one fit per process, so each has its own
# peak RSS. argv: mode (xgboost-train | xgboost-sklearn | sklearn-hgb),
# csv path, threads, repeats, params as JSON. Prints one JSON object.
import json, resource, sys, time, warnings

warnings.filterwarnings("ignore")
mode, path, threads, repeats, params = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


import numpy as np

# The library is imported before the data is read, so "data RSS" counts
# interpreter, library and data, and the rest of the peak is the fit's.
if mode.startswith("xgboost"):
    import xgboost as xgb

    version = xgb.__version__
else:
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    version = sklearn.__version__

try:
    import pandas as pd

    df = pd.read_csv(path, dtype=np.float64)
    X = df.drop(columns=["y"]).to_numpy(dtype=np.float64)
    y = df["y"].to_numpy(dtype=np.float64)
    del df
except ImportError:
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    X, y = np.ascontiguousarray(data[:, :-1]), data[:, -1].copy()
    del data
import gc

gc.collect()
loaded = rss_kib("VmRSS")
# Reset the peak (VmHWM) so that it measures the fit, not the CSV parsing.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
depth = params["max_depth"]  # None: unlimited
# XGBoost's unlimited depth is max_depth 0 with the lossguide policy, as mlpipe sets it.
xgb_depth = {"max_depth": 0, "grow_policy": "lossguide"} if depth is None else {"max_depth": depth}

best, best_cpu, model = None, None, None
for _ in range(repeats):
    cpu = cpu_seconds()
    if mode == "xgboost-train":
        t = time.perf_counter()
        d = xgb.DMatrix(X, label=y, nthread=threads)
        model = xgb.train(
            {"objective": "binary:logistic", "tree_method": "hist", "nthread": threads, **xgb_depth,
             "eta": params["learning_rate"], "min_child_weight": params["min_child_weight"], "lambda": params["reg_lambda"],
             "alpha": params["reg_alpha"], "max_bin": params["max_bin"], "seed": params["seed"], "base_score": 0.5},
            d, num_boost_round=params["n_estimators"])
        dt, dcpu = time.perf_counter() - t, cpu_seconds() - cpu
        p = model.predict(d)
    elif mode == "xgboost-sklearn":
        t = time.perf_counter()
        model = xgb.XGBClassifier(n_estimators=params["n_estimators"], **xgb_depth, learning_rate=params["learning_rate"],
                                  min_child_weight=params["min_child_weight"], reg_lambda=params["reg_lambda"],
                                  reg_alpha=params["reg_alpha"], max_bin=params["max_bin"], random_state=params["seed"],
                                  tree_method="hist", n_jobs=threads, base_score=0.5)
        model.fit(X, y)
        dt, dcpu = time.perf_counter() - t, cpu_seconds() - cpu
        p = model.predict_proba(X)[:, 1]
    else:
        with threadpool_limits(limits=threads):
            t = time.perf_counter()
            # scikit-learn's nearest settings: no leaf-count cap (XGBoost grows
            # by depth), the same L2, a leaf may hold one row (XGBoost's
            # min_child_weight 1 is a hessian sum), 255 bins (its maximum).
            model = HistGradientBoostingClassifier(max_iter=params["n_estimators"], max_depth=depth,
                                                   learning_rate=params["learning_rate"], max_leaf_nodes=None,
                                                   min_samples_leaf=1, l2_regularization=params["reg_lambda"],
                                                   max_bins=min(255, params["max_bin"] - 1), early_stopping=False,
                                                   random_state=params["seed"])
            model.fit(X, y)
            dt, dcpu = time.perf_counter() - t, cpu_seconds() - cpu
            p = model.predict_proba(X)[:, 1]
    if best is None or dt < best:
        best, best_cpu = dt, dcpu

p = np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
print(json.dumps({"seconds": best, "cpu_seconds": best_cpu, "loaded_kib": loaded, "peak_kib": rss_kib("VmHWM"), "log_loss": loss, "version": version}))
