package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
)

// spec is the churn example's features as kind blocks.
var spec = features.Spec{
	Target: "churned", Positive: "yes", Exclude: []string{"customer_id"},
	Numeric:     &features.KindSpec{Impute: features.ImputeMedian, Scale: features.ScaleStandard},
	Categorical: &features.KindSpec{Impute: features.ImputeMostFrequent, Encode: features.EncodeOneHot},
	Time:        &features.KindSpec{Impute: features.ImputeMean, Scale: features.ScaleStandard},
}

// sklearnScript is the same work in pandas and scikit-learn.
const sklearnScript = `
import sys, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler, OneHotEncoder
df = pd.read_csv(sys.argv[1])
t = pd.to_datetime(df["last_activity"], utc=True)
df["last_activity"] = (t.max() - t).dt.total_seconds() / 86400
num = ["age", "tenure_months", "monthly_charges", "support_calls"]
cat = ["status", "plan"]
ct = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
    ("time", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), ["last_activity"]),
    ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat),
])
X = ct.fit_transform(df)
y = (df["churned"] == "yes").to_numpy(dtype=np.float64)
np.save(sys.argv[2], np.column_stack([X, y]))
`

// writeParquet converts the CSV as ingestion does; it is not timed.
func writeParquet(csvPath, out string) error {
	ctx := context.Background()
	eng, err := dataplane.Open(dataplane.Options{MemoryLimit: "2GB"})
	if err != nil {
		return err
	}
	defer eng.Close()
	t, err := eng.Load(ctx, csvPath, dataplane.LoadOptions{})
	if err != nil {
		return err
	}
	return eng.WriteParquet(ctx, t, out)
}

// runMlpipeParquet is the feature stage's own path: the Parquet that
// ingestion wrote, read into typed columns by the engine.
func runMlpipeParquet(data, out string) error {
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	start := time.Now()
	// As the feature stage reads it: only the columns the spec uses.
	parts, err := eng.ReadColumnParts(context.Background(), data, nil, []dataplane.Keep{spec.Reads})
	if cerr := eng.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("read %.2fs\n", time.Since(start).Seconds())
	return engineer(parts[0], out)
}

func runMlpipe(data, out string) error {
	in, err := os.Open(data)
	if err != nil {
		return err
	}
	defer in.Close()
	start := time.Now()
	f, err := frame.ReadCSV(in, frame.ReadOptions{Source: data})
	if err != nil {
		return err
	}
	fmt.Printf("read %.2fs\n", time.Since(start).Seconds())
	return engineer(f, out)
}

// engineer fits and applies the transform and writes the matrix.
// The phases' times go to standard output, which the parent discards;
// run a side alone to see them.
func engineer(f *frame.Frame, out string) error {
	start := time.Now()
	tr, err := features.Fit(f, spec)
	if err != nil {
		return err
	}
	fmt.Printf("fit %.2fs\n", time.Since(start).Seconds())
	// Applied and written a block of rows at a time, as the feature stage
	// does.
	defer func(start time.Time) { fmt.Printf("apply + write %.2fs\n", time.Since(start).Seconds()) }(time.Now())
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	mw, err := matrix.NewWriter(w, tr.OutputNames(), f.NumRows())
	if err == nil {
		err = tr.ApplyChunks(f, 1<<14, mw.Write)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
