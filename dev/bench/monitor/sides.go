package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/monitor"
	"github.com/mlpipe/mlpipe/internal/perfest"
	"github.com/mlpipe/mlpipe/internal/profile"
)

func f64(v float64) *float64 { return &v }

// suite is the expectation suite both sides run on the window: the churn
// example's, on the wide columns.
func suite() *monitor.Suite {
	return &monitor.Suite{Source: "bench", Expectations: []expect.Expectation{
		{Type: expect.ValuesNotNull, Column: "customer_id"},
		{Type: expect.ValuesBetween, Column: "age", Min: f64(0), Max: f64(150)},
		{Type: expect.ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}},
		{Type: expect.ValuesInSet, Column: "plan", ValueSet: []string{"basic", "standard", "premium"}},
		{Type: expect.ValuesBetween, Column: "monthly_charges", Min: f64(0), Max: f64(500)},
		{Type: expect.ValuesBetween, Column: "satisfaction", Min: f64(1), Max: f64(10)},
	}}
}

// runMlpipe analyses the window as the AnalyzeWindow activity does and
// writes its snapshot and page (to memory: the store's write is not
// what is measured); snapshotPath, when set, also gets the snapshot's
// JSON, without its creation time, so that two builds can be compared.
func runMlpipe(dir, snapshotPath string) error {
	ctx := context.Background()
	store, err := artifact.Open(ctx, filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	var ref profile.Profile
	if err := readJSON(filepath.Join(dir, "profile.json"), &ref); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "calibration.json"))
	if err != nil {
		return err
	}
	cal, err := perfest.DecodeCalibrationFile(b)
	if err != nil {
		return err
	}
	in := monitor.Input{Model: model, ModelVersion: 1, From: windowFrom, To: windowTo, Reference: &ref,
		Target: "churned", Positive: "yes", Drift: drift.DefaultConfig(), Suite: suite(), Calibration: &cal.Isotonic}
	snap := &monitor.Snapshot{Created: time.Now().UTC()}
	if err := activities.AnalyzeLog(ctx, store, in, snap, nil); err != nil {
		return err
	}
	js, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if err := monitor.WritePage(&page, snap); err != nil {
		return err
	}
	if snapshotPath != "" {
		snap.Created = time.Time{}
		b, err := json.MarshalIndent(snap, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(snapshotPath, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%d predictions, %d joined; %s; %d features measured; snapshot %d bytes, page %d bytes\n",
		snap.Traffic.Predictions, snap.Traffic.Joined, snap.Summary, len(snap.Drift.Features), len(js), page.Len())
	for _, m := range append(snap.Performance.Realised, snap.Performance.Estimated...) {
		fmt.Printf("  %s %.4f [%.4f, %.4f] %s\n", m.Name, m.Value, m.Low, m.High, m.Method)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
