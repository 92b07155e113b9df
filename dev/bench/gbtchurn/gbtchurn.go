// Package gbtchurn prepares the churn example for the tree benchmarks
// (gbtquality, gbtsearch): generated data, the example spec with a params
// file, and the feature stage's train and test matrices, without the
// store, so every benchmark searches and scores the same rows.
package gbtchurn

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// Data is the example's spec and its feature split.
type Data struct {
	// Spec is the example pipeline with the params file applied.
	Spec spec.Pipeline
	// CSV is the generated data's path (inside the caller's folder).
	CSV         string
	Train, Test matrix.Matrix
	// Rows are the generated customers, in the CSV's order; TrainIdx and
	// TestIdx are the rows of each split, in Train's and Test's order.
	Rows              []gen.ChurnRow
	TrainIdx, TestIdx []int
}

// Prepare writes rows of churn data (mlpipe gen churn --rows rows --seed
// seed) into dir, loads specPath with stages.model_training.params set to
// params (a file beside the spec) and cuts the spec's feature split.
func Prepare(dir, specPath, params string, rows int, seed int64) (Data, error) {
	now := time.Now().UTC()
	path := filepath.Join(dir, "churn.csv")
	var buf bytes.Buffer
	if err := gen.Churn(&buf, rows, seed, now); err != nil {
		return Data{}, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return Data{}, err
	}
	// The same rows the CSV holds: Churn writes ChurnRows(rows, seed, now).
	return load(path, specPath, params, gen.ChurnRows(rows, seed, now))
}

// PrepareRows is Prepare for rows the caller made (relabelled, say),
// written to dir/name.
func PrepareRows(dir, name, specPath, params string, rows []gen.ChurnRow) (Data, error) {
	path := filepath.Join(dir, name)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(gen.ChurnColumns); err != nil {
		return Data{}, err
	}
	for _, r := range rows {
		age := ""
		if r.Age != nil {
			age = strconv.FormatFloat(*r.Age, 'f', -1, 64)
		}
		churned := "no"
		if r.Churned {
			churned = "yes"
		}
		if err := w.Write([]string{r.CustomerID, age, r.Status, r.Plan, strconv.Itoa(r.TenureMonths),
			strconv.FormatFloat(r.MonthlyCharges, 'f', 2, 64), strconv.Itoa(r.SupportCalls),
			r.LastActivity.Format(time.RFC3339), churned}); err != nil {
			return Data{}, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return Data{}, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return Data{}, err
	}
	return load(path, specPath, params, rows)
}

func load(path, specPath, params string, rows []gen.ChurnRow) (Data, error) {
	d := Data{CSV: path, Rows: rows}
	p, err := spec.Load(specPath, spec.Override{Path: "data.source", Value: path},
		spec.Override{Path: "stages.model_training.params", Value: "[" + params + "]"})
	if err != nil {
		return d, err
	}
	d.Spec = *p
	if d.Train, d.Test, d.TrainIdx, d.TestIdx, err = featureSplit(path, p.Features); err != nil {
		return d, fmt.Errorf("features of %s: %w", path, err)
	}
	return d, nil
}

// featureSplit is the feature stage without the store.
func featureSplit(path string, fs features.Spec) (train, test matrix.Matrix, trainIdx, testIdx []int, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return train, test, nil, nil, err
	}
	defer fh.Close()
	f, err := frame.ReadCSV(fh, frame.ReadOptions{Source: path})
	if err != nil {
		return train, test, nil, nil, err
	}
	trainIdx, testIdx, err = features.Split(f, fs)
	if err != nil {
		return train, test, nil, nil, err
	}
	tr, err := features.Fit(f.Take(trainIdx), fs)
	if err != nil {
		return train, test, nil, nil, err
	}
	for _, m := range []struct {
		f   *frame.Frame
		out *matrix.Matrix
	}{{f.Take(trainIdx), &train}, {f.Take(testIdx), &test}} {
		X, y, err := tr.Apply(m.f)
		if err != nil {
			return train, test, nil, nil, err
		}
		*m.out = matrix.Matrix{Names: tr.OutputNames(), X: X, Y: y}
	}
	return train, test, trainIdx, testIdx, nil
}
