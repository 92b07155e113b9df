# RandomizedSearchCV over an mlpipe search space, for the side-by-side
# benchmarks. Reads one JSON request (argv[1]) and prints one JSON result.
#
# The estimator takes mlpipe's parameter names, so a space means the same on
# both sides; fit() maps them onto MLPClassifier:
#   kind logistic     -> hidden_layer_sizes=() (no hidden layer: logistic regression)
#   kind mlp          -> hidden_layer_sizes=(hidden_units,), activation
#   learning_rate     -> learning_rate_init
#   l2                -> alpha = l2 * batch_size (mlpipe adds l2/2*||W||^2 to the
#                        mean batch loss; MLPClassifier adds alpha/2*||W||^2/batch)
#   batch_size        -> batch_size
#   epochs            -> max_iter, with tol=0 and n_iter_no_change > max_iter so
#                        every epoch runs, as mlpipe's do
#   optimizer adam    -> solver adam; sgd -> sgd (momentum 0); momentum -> sgd 0.9
#   seed              -> random_state
import json, sys, time, warnings
import numpy as np, pandas as pd
import scipy.stats as st
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.metrics import f1_score

warnings.filterwarnings("ignore")


class Net(ClassifierMixin, BaseEstimator):
    def __init__(self, kind="logistic", hidden_units=32, activation="relu", learning_rate=0.05, l2=0.0,
                 batch_size=256, epochs=30, optimizer="adam", seed=0):
        self.kind = kind
        self.hidden_units = hidden_units
        self.activation = activation
        self.learning_rate = learning_rate
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.optimizer = optimizer
        self.seed = seed

    def fit(self, X, y):
        hidden = () if self.kind == "logistic" else (int(self.hidden_units),)
        solver, momentum = {"adam": ("adam", 0.9), "sgd": ("sgd", 0.0), "momentum": ("sgd", 0.9)}[self.optimizer]
        batch = int(self.batch_size)
        self.m_ = MLPClassifier(hidden_layer_sizes=hidden, activation=self.activation, solver=solver, momentum=momentum,
                                nesterovs_momentum=False, learning_rate_init=self.learning_rate,
                                alpha=self.l2 * min(batch, len(X)), batch_size=batch, max_iter=int(self.epochs),
                                shuffle=True, random_state=self.seed, tol=0, n_iter_no_change=int(self.epochs) + 1)
        self.m_.fit(X, y)
        self.classes_ = self.m_.classes_
        return self

    def predict(self, X):
        return self.m_.predict(X)

    def predict_proba(self, X):
        return self.m_.predict_proba(X)


def distribution(d):
    k = d["kind"]
    if k == "choice":
        return d["choices"]
    if k == "uniform":
        return st.uniform(d["low"], d["high"] - d["low"])
    if k == "log_uniform":
        return st.loguniform(d["low"], d["high"])
    if k == "int_uniform":
        return st.randint(int(d["low"]), int(d["high"]) + 1)
    raise ValueError("unknown distribution %r" % k)


def load(path):
    df = pd.read_csv(path)
    return df.drop(columns=[df.columns[-1]]).to_numpy(dtype=np.float64), df[df.columns[-1]].to_numpy().astype(int)


req = json.load(open(sys.argv[1]))
threads = "unknown"
try:
    from threadpoolctl import threadpool_info
    threads = "; ".join("%s %s: %d" % (i.get("internal_api"), i.get("user_api"), i.get("num_threads")) for i in threadpool_info()) or "none found"
except Exception as e:
    threads = "threadpoolctl unavailable (%s)" % e

X, y = load(req["train"])
n = len(y)
# mlpipe's folds (tune.StratifiedKFold), so both sides score on the same rows.
cv = []
for val in req["folds"]:
    mask = np.zeros(n, dtype=bool)
    mask[val] = True
    cv.append((np.flatnonzero(~mask), np.flatnonzero(mask)))
if req.get("points"):
    # mlpipe's own sampled configurations, each evaluated once: the same
    # trials on both sides, through the same joblib machinery.
    grid = [{k: [v] for k, v in p.items()} for p in req["points"]]
    search = GridSearchCV(Net(**req["base"]), grid, cv=cv, scoring=req["scoring"], n_jobs=req["n_jobs"],
                          refit=req["refit"], error_score=np.nan)
else:
    space = {name: distribution(d) for name, d in req["space"]}
    search = RandomizedSearchCV(Net(**req["base"]), space, n_iter=req["n_iter"], cv=cv, scoring=req["scoring"],
                                n_jobs=req["n_jobs"], random_state=req["seed"], refit=req["refit"], error_score=np.nan)
t = time.perf_counter()
search.fit(X, y)
wall = time.perf_counter() - t
r = search.cv_results_
folds = len(cv)
out = {
    "version": sklearn.__version__, "threads": threads, "wall_seconds": wall,
    "fit_seconds": float(np.nansum(r["mean_fit_time"]) * folds),
    "score_seconds": float(np.nansum(r["mean_score_time"]) * folds),
    "trials": len(r["params"]),
    "best_score": float(search.best_score_) if not np.isnan(search.best_score_) else None,
    "best_params": {k: (v.item() if hasattr(v, "item") else v) for k, v in search.best_params_.items()},
}
if req["refit"]:
    out["refit_seconds"] = search.refit_time_
    if req.get("test"):
        Xt, yt = load(req["test"])
        out["test_f1"] = float(f1_score(yt, search.best_estimator_.predict(Xt)))
        # The untuned base configuration too, to tell the implementations'
        # difference from the searches'.
        out["base_test_f1"] = float(f1_score(yt, Net(**req["base"]).fit(X, y).predict(Xt)))
print(json.dumps(out))
