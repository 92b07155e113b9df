package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/perfest"
)

const (
	model = "churn-classifier"
	// requestRows is the rows per logged request.
	requestRows = 100
)

// The window analysed: one hour of traffic.
var (
	windowFrom = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	windowTo   = windowFrom.Add(time.Hour)
)

var regions = []string{"north", "south", "east", "west"}

// features are the 12 logged input columns; churned is the label.
var features = []string{"customer_id", "age", "status", "plan", "tenure_months", "monthly_charges", "support_calls",
	"last_activity", "email", "region", "total_charges", "satisfaction"}

// customer is one generated row's inputs, its label and the model's
// probability (a logistic score of the features that carry the signal).
func customers(n int, seed int64) ([]map[string]any, []bool, []float64) {
	rows := gen.ChurnRows(n, seed, windowFrom)
	rng := rand.New(rand.NewPCG(uint64(seed), 9))
	in := make([]map[string]any, n)
	y := make([]bool, n)
	p := make([]float64, n)
	for i, r := range rows {
		id := fmt.Sprintf("C%09d", int(seed)*10_000_000+i+1)
		var age any
		if r.Age != nil {
			age = *r.Age
		}
		in[i] = map[string]any{
			"customer_id": id, "age": age, "status": r.Status, "plan": r.Plan,
			"tenure_months": float64(r.TenureMonths), "monthly_charges": r.MonthlyCharges,
			"support_calls": float64(r.SupportCalls), "last_activity": r.LastActivity.Format(time.RFC3339),
			"email": strings.ToLower(id) + "@example.com", "region": regions[i%4],
			"total_charges": math.Round(r.MonthlyCharges*float64(r.TenureMonths)*100) / 100,
			"satisfaction":  float64(1 + rng.IntN(10)),
		}
		z := -1.2 + 0.08*float64(r.SupportCalls)*3 - 0.03*float64(r.TenureMonths) + 0.01*r.MonthlyCharges
		if r.Status == "inactive" {
			z += 2.2
		}
		p[i] = 1 / (1 + math.Exp(-z))
		y[i] = r.Churned
	}
	return in, y, p
}

// generate writes the reference (profile.json, calibration.json) and the
// window's inference and feedback logs into dir/store.
func generate(dir string, n, labels int) error {
	ctx := context.Background()
	if err := reference(ctx, dir); err != nil {
		return err
	}
	store, err := artifact.Open(ctx, filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	w, err := inferlog.NewWriter(inferlog.WriterOptions{Store: store, Replica: "bench", FlushInterval: time.Hour,
		FlushRows: 50_000, MaxPending: 2 * n, Retention: -1})
	if err != nil {
		return err
	}
	in, y, p := customers(n, 2)
	step := windowTo.Sub(windowFrom) / time.Duration(n/requestRows+1)
	var fb []inferlog.Feedback
	every := max(1, n/max(1, labels))
	for start, req := 0, 0; start < n; start, req = start+requestRows, req+1 {
		end := min(n, start+requestRows)
		id := fmt.Sprintf("req-%07d", req)
		at := windowFrom.Add(time.Duration(req) * step)
		ans := answers{p: p[start:end]}
		if !w.LogPredictions(&inferlog.Predictions{RequestID: id, Time: at, Model: model, Version: 1, Variant: "production",
			Rows: in[start:end], Answers: ans, Latency: time.Duration(2+req%7) * time.Millisecond}) {
			return fmt.Errorf("the log writer dropped request %d: raise MaxPending", req)
		}
		for i := start; i < end; i++ {
			if i%every != 0 || len(fb) >= labels {
				continue
			}
			label := "no"
			if y[i] {
				label = "yes"
			}
			v := in[i]["monthly_charges"].(float64)
			fb = append(fb, inferlog.Feedback{RequestID: id, Row: i - start, Time: at, Model: model, Label: label, Value: &v})
		}
	}
	for len(fb) > 0 {
		k := min(len(fb), 10_000)
		if !w.LogFeedback(fb[:k]) {
			return fmt.Errorf("the log writer dropped feedback: raise MaxPending")
		}
		fb = fb[k:]
	}
	return w.Close(ctx)
}

type answers struct{ p []float64 }

func (a answers) Len() int { return len(a.p) }
func (a answers) At(i int) (string, float64, map[string]float64) {
	if a.p[i] > 0.5 {
		return "yes", a.p[i], nil
	}
	return "no", a.p[i], nil
}

// reference profiles 200,000 training rows as ingestion does and fits
// the calibration on a test split of 20,000, as evaluation does.
func reference(ctx context.Context, dir string) error {
	in, y, _ := customers(200_000, 1)
	csvPath := filepath.Join(dir, "train.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintln(bw, strings.Join(append(append([]string{}, features...), "churned"), ","))
	for i, r := range in {
		for _, c := range features {
			switch v := r[c].(type) {
			case nil:
			case float64:
				bw.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
			case string:
				bw.WriteString(v)
			}
			bw.WriteByte(',')
		}
		if y[i] {
			bw.WriteString("yes\n")
		} else {
			bw.WriteString("no\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	t, err := eng.Load(ctx, csvPath, dataplane.LoadOptions{})
	if err != nil {
		return err
	}
	prof, err := eng.Profile(ctx, t)
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "profile.json"), prof); err != nil {
		return err
	}
	_, ty, tp := customers(20_000, 3)
	cal, err := perfest.NewCalibrationFile(tp, ty, "the bench's test split")
	if err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "calibration.json"), cal)
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// export writes the Parquet log's records as JSON lines for the pandas
// side, which turns them into a pickle before the clock starts.
func export(dir string) error {
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	for _, kind := range []string{inferlog.KindInference, inferlog.KindFeedback} {
		glob := filepath.Join(dir, "store", kind, model, "*", "*", "*.parquet")
		q := fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s)) TO %s (FORMAT json)`,
			dataplane.Quote(glob), dataplane.Quote(filepath.Join(dir, kind+".jsonl")))
		if _, err := eng.DB().Exec(q); err != nil {
			return fmt.Errorf("export %s: %w", kind, err)
		}
	}
	return nil
}
