package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
)

// sklearnScript fits the reference models on the CSV and prints one JSON
// object. Only fit() is timed; reading the CSV is not.
const sklearnScript = `
import json, sys, time, warnings
import numpy as np, pandas as pd
from sklearn.neural_network import MLPClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
warnings.filterwarnings("ignore")
threads = "unknown"
try:
    from threadpoolctl import threadpool_info
    threads = "; ".join("%s %s: %d" % (i.get("internal_api"), i.get("user_api"), i.get("num_threads")) for i in threadpool_info()) or "none found"
except Exception as e:
    threads = "threadpoolctl unavailable (%s)" % e
df = pd.read_csv(sys.argv[1])
X = df.drop(columns=["y"]).to_numpy(dtype=np.float64); y = df["y"].to_numpy().astype(int)
out = {"threads": threads}
best = None
for _ in range(int(sys.argv[2])):
    mlp = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", solver="adam", learning_rate_init=0.01,
                        batch_size=256, max_iter=5, shuffle=True, random_state=0, tol=0, n_iter_no_change=1000)
    t = time.perf_counter(); mlp.fit(X, y); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
out["mlp_seconds"] = best
out["mlp_loss"] = log_loss(y, mlp.predict_proba(X)[:, 1])
best = None
for _ in range(int(sys.argv[2])):
    lr = LogisticRegression(solver="lbfgs")
    t = time.perf_counter(); lr.fit(X, y); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
out["lr_seconds"] = best
out["lr_iters"] = int(lr.n_iter_[0])
out["lr_loss"] = log_loss(y, lr.predict_proba(X)[:, 1])
import sklearn; out["version"] = sklearn.__version__
print(json.dumps(out))
`

type sklearnResult struct {
	Threads    string  `json:"threads"`
	Version    string  `json:"version"`
	MLPSeconds float64 `json:"mlp_seconds"`
	MLPLoss    float64 `json:"mlp_loss"`
	LRSeconds  float64 `json:"lr_seconds"`
	LRIters    int     `json:"lr_iters"`
	LRLoss     float64 `json:"lr_loss"`
}

// errNoSklearn says how to get the reference installed.
var errNoSklearn = errors.New("scikit-learn is not importable by /usr/bin/python3; install it with:\n" +
	"  sudo apt-get update && sudo apt-get install -y python3-sklearn python3-pandas")

// runSklearn runs the script with the system Python, in its default thread
// configuration (no OPENBLAS_NUM_THREADS override).
func runSklearn(python, csvPath string, repeats int) (sklearnResult, error) {
	if err := exec.Command(python, "-c", "import sklearn, pandas").Run(); err != nil {
		return sklearnResult{}, errNoSklearn
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python, "-c", sklearnScript, csvPath, fmt.Sprint(repeats))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sklearnResult{}, fmt.Errorf("scikit-learn script: %w: %s", err, stderr.String())
	}
	var res sklearnResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("scikit-learn script printed %q: %w", stdout.String(), err)
	}
	return res, nil
}
