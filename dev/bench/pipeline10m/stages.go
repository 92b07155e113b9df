package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
)

func fp(v float64) *float64 { return &v }

// suite is a validation stage a user would write for this data: every
// expectation passes, so the stage goes on to features.
var suite = []expect.Expectation{
	{Type: expect.ValuesNotNull, Column: "customer_id"},
	{Type: expect.ValuesUnique, Column: "customer_id"},
	{Type: expect.ValuesBetween, Column: "age", Min: fp(18), Max: fp(90)},
	{Type: expect.ValuesInSet, Column: "status", ValueSet: []string{"active", "inactive"}},
	{Type: expect.ValuesInSet, Column: "plan", ValueSet: []string{"basic", "standard", "premium"}},
	{Type: expect.ValuesBetween, Column: "monthly_charges", Min: fp(0), Max: fp(500)},
	{Type: expect.MeanBetween, Column: "monthly_charges", Min: fp(0), Max: fp(500)},
	{Type: expect.ValuesMatchRegex, Column: "email", Regex: `^[a-z0-9.]+@[a-z]+\.com$`},
	{Type: expect.ValuesInSet, Column: "churned", ValueSet: []string{"yes", "no"}},
	{Type: expect.ValuesNotNull, Column: "last_activity"},
}

// spec is the churn example's features as kind blocks; the identifiers
// are excluded.
var spec = features.Spec{
	Target: "churned", Positive: "yes", Exclude: []string{"customer_id", "email"},
	Numeric:     &features.KindSpec{Impute: features.ImputeMedian, Scale: features.ScaleStandard},
	Categorical: &features.KindSpec{Impute: features.ImputeMostFrequent, Encode: features.EncodeOneHot},
	Time:        &features.KindSpec{Impute: features.ImputeMean, Scale: features.ScaleStandard},
}

// runStage runs one stage's activity on the previous stage's result, and
// leaves its own result (stage.json) and a line for the table (stage.note).
func runStage(stage, dir string, epochs, batch int) error {
	store, err := artifact.NewFileStore(filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	acts := &activities.Activities{Store: store}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	env.SetTestTimeout(2 * time.Hour)
	var note string
	switch stage {
	case "ingest":
		val, err := env.ExecuteLocalActivity(acts.IngestData, activities.IngestDataInput{
			Pipeline: "bench", Source: filepath.Join(dir, "churn.csv"), Target: "churned"})
		if err != nil {
			return err
		}
		var res activities.IngestDataResult
		if err := val.Get(&res); err != nil {
			return err
		}
		note = fmt.Sprintf("CSV → typed Parquet (%.0f MB) + profile, %d rows", float64(res.Dataset.Ref.Size)/1e6, res.Dataset.Rows)
		return save(dir, stage, res.Dataset, note)
	case "validate":
		var ds activities.Dataset
		if err := load(dir, "ingest", &ds); err != nil {
			return err
		}
		val, err := env.ExecuteLocalActivity(acts.ValidateData, activities.ValidateDataInput{Dataset: ds, Expectations: suite, Now: time.Now()})
		if err != nil {
			return err
		}
		var res activities.ValidateDataResult
		if err := val.Get(&res); err != nil {
			return err
		}
		note = fmt.Sprintf("%d expectations on the Parquet, %d failed; report + data doc", res.Evaluated, res.Failed)
		return save(dir, stage, res, note)
	case "features":
		var ds activities.Dataset
		if err := load(dir, "ingest", &ds); err != nil {
			return err
		}
		val, err := env.ExecuteLocalActivity(acts.EngineerFeatures, activities.EngineerFeaturesInput{Pipeline: "bench", Dataset: ds, Spec: spec})
		if err != nil {
			return err
		}
		var res activities.EngineerFeaturesResult
		if err := val.Get(&res); err != nil {
			return err
		}
		fs := res.Features
		note = fmt.Sprintf("split, fit, %d features; train %d rows (%.0f MB matrix), test %d rows", len(fs.Features), fs.TrainRows, float64(fs.Train.Size)/1e6, fs.TestRows)
		if fs.Reused {
			note += " (reused)"
		}
		return save(dir, stage, fs, note)
	case "train":
		var fs activities.FeatureSet
		if err := load(dir, "features", &fs); err != nil {
			return err
		}
		cfg := model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerAdam, Epochs: epochs, BatchSize: batch, LearningRate: 0.01, Seed: 7}
		val, err := env.ExecuteLocalActivity(acts.TrainModel, activities.TrainModelInput{
			Pipeline: "bench", Model: "bench", WorkflowID: "bench-10m", Features: fs, Config: cfg})
		if err != nil {
			return err
		}
		var res activities.TrainModelResult
		if err := val.Get(&res); err != nil {
			return err
		}
		note = fmt.Sprintf("logistic, %d epochs over %d rows, train loss %.4f", res.Model.Epochs, fs.TrainRows, res.Model.Loss)
		return save(dir, stage, res.Model, note)
	}
	return fmt.Errorf("unknown stage %q", stage)
}

func save(dir, stage string, v any, note string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, stage+".json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, stage+".note"), []byte(note), 0o644)
}

func load(dir, stage string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, stage+".json"))
	if err != nil {
		return fmt.Errorf("the %s stage's result: %w", stage, err)
	}
	return json.Unmarshal(b, v)
}
