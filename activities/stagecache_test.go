package activities_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/tune"
)

var readCache = activities.CacheUse{Read: true}

// Ingestion is cached by the source's content: the same bytes under
// another name are cached, other bytes under the same name are not.
func TestIngestDataIsCachedByTheSourcesContent(t *testing.T) {
	acts, _ := newActs(t)
	data := churnCSV(t, 200, genTime)
	src := writeFile(t, "churn.csv", data)
	in := activities.IngestDataInput{Pipeline: "churn", Source: src, Target: "churned", Cache: readCache}
	first, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	assert.Nil(t, first.Cached, "nothing recorded yet")

	again, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	require.NotNil(t, again.Cached, "the same source again is taken from the cache")
	assert.Equal(t, first.Dataset.Ref, again.Dataset.Ref)
	assert.Equal(t, first.Dataset.Rows, again.Dataset.Rows)

	// A cached dataset is still checked against the columns this run's
	// spec names.
	bad := in
	bad.Target = "churn"
	_, err = execute[activities.IngestDataResult](t, acts, acts.IngestData, bad)
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `target column "churn" does not exist`)

	in.Source = writeFile(t, "renamed.csv", data)
	renamed, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	require.NotNil(t, renamed.Cached, "the same bytes under another name are the same data")
	assert.Equal(t, strings.TrimPrefix(in.Source, "file://"), renamed.Dataset.Source.URI[len("file://"):],
		"the lineage is the source this run read")

	path := strings.TrimPrefix(src, "file://")
	require.NoError(t, os.WriteFile(path, churnCSV(t, 150, genTime), 0o644))
	in.Source = src
	changed, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	assert.Nil(t, changed.Cached, "other bytes under the same name are ingested again")
	assert.Equal(t, 150, changed.Dataset.Rows)

	in.Cache = activities.CacheUse{}
	off, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	assert.Nil(t, off.Cached, "without Read the stage computes")
}

// A cached validation judges freshness against this run's start: still
// fresh, it is taken (and says so); too old now, the stage validates in
// full and fails as an uncached one would.
func TestValidateDataCachedJudgesFreshnessAgainstThisRun(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingest(t, acts, 200)
	checks := expect.Checks{Freshness: &expect.Freshness{Column: "last_activity", MaxAge: "1080h"}}
	exps := []expect.Expectation{{Type: "expect_column_values_to_not_be_null", Column: "customer_id"}}
	in := activities.ValidateDataInput{Dataset: ds, Checks: checks, Expectations: exps, Now: genTime.Add(24 * time.Hour), Cache: readCache}
	first, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	require.NoError(t, err)
	assert.Nil(t, first.Cached)

	in.Now = genTime.Add(48 * time.Hour)
	again, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	require.NoError(t, err)
	require.NotNil(t, again.Cached)
	assert.Contains(t, again.Cached.Note, "freshness judged against this run's start: newest last_activity ")
	assert.Equal(t, first.Report, again.Report)

	in.Now = genTime.Add(2000 * time.Hour)
	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "freshness", "a cached pass never hides stale data")

	// A changed expectation is another validation.
	in.Now = genTime.Add(48 * time.Hour)
	in.Expectations = append(in.Expectations, expect.Expectation{Type: "expect_column_values_to_be_unique", Column: "customer_id"})
	changed, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	require.NoError(t, err)
	assert.Nil(t, changed.Cached)
	assert.Equal(t, first.Evaluated+1, changed.Evaluated)
}

func TestEngineerFeaturesReadsTheCacheOnlyWhenAsked(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingest(t, acts, 200)
	in := activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: churnFeatures(), Cache: readCache}
	first, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures, in)
	require.NoError(t, err)
	assert.Nil(t, first.Cached)

	again, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures, in)
	require.NoError(t, err)
	require.NotNil(t, again.Cached)
	assert.True(t, again.Features.Reused)
	assert.Equal(t, first.Features.Train, again.Features.Train)

	in.Cache = activities.CacheUse{}
	off, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures, in)
	require.NoError(t, err)
	assert.Nil(t, off.Cached, "cache off: the features are computed again")
	assert.False(t, off.Features.Reused)
	assert.Equal(t, first.Features.Version, off.Features.Version)
}

// A cached training is the recorded model; an entry whose bundle is gone,
// or whose document is corrupt, is a miss and the model is trained again.
func TestTrainModelCachedAndMissesOnAMissingBundleOrCorruptEntry(t *testing.T) {
	acts, store := newActs(t)
	ds := ingest(t, acts, 300)
	fs := engineer(t, acts, ds, churnFeatures())
	cfg := exampleConfig()
	cfg.Epochs = 5
	in := activities.TrainModelInput{Pipeline: "churn", Model: "churn-classifier", WorkflowID: "wf-1", Features: fs, Config: cfg, Cache: readCache}
	first, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err)
	assert.Nil(t, first.Cached)

	in.WorkflowID = "wf-2"
	again, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err)
	require.NotNil(t, again.Cached)
	assert.Equal(t, first.Model.Bundle, again.Model.Bundle)

	in.Config.Epochs = 6
	other, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err)
	assert.Nil(t, other.Cached, "other hyperparameters are another model")
	in.Config.Epochs = 5

	root := store.Root()
	require.NoError(t, os.Remove(filepath.Join(root, strings.TrimPrefix(first.Model.Bundle.URI, "file://"+root))))
	missing, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err)
	assert.Nil(t, missing.Cached, "an entry whose bundle is gone is a miss")

	entries := keys(t, store, "stagecache/training/")
	require.NotEmpty(t, entries)
	for _, k := range entries {
		_, err := artifact.PutBytes(context.Background(), store, k, []byte("{not json"), "application/json")
		require.NoError(t, err)
	}
	corrupt, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err, "a corrupt entry never fails the stage")
	assert.Nil(t, corrupt.Cached)
	fixed, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, in)
	require.NoError(t, err)
	assert.NotNil(t, fixed.Cached, "the retrained model replaced the corrupt entry")
}

// A recorded search is found for the same split, base and search block
// only, and only when reading is asked for.
func TestSearchIsRecordedAndLookedUp(t *testing.T) {
	acts, store := newActs(t)
	train, err := artifact.PutBytes(context.Background(), store, "features/churn/v/train.matrix", []byte("matrix"), "application/octet-stream")
	require.NoError(t, err)
	in := activities.SearchCacheInput{Model: "churn-classifier", Train: train, Base: exampleConfig(),
		Search: tune.Search{NIter: 3, CV: 2, Scoring: "f1", Seed: 1}}
	found, err := execute[activities.SearchCacheResult](t, acts, acts.LookupSearch, withRead(in))
	require.NoError(t, err)
	assert.False(t, found.Found)

	rec := in
	rec.Result = []byte(`{"best": {"trial_id": 2}}`)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	_, err = env.ExecuteActivity(acts.RecordSearch, rec)
	require.NoError(t, err)

	found, err = execute[activities.SearchCacheResult](t, acts, acts.LookupSearch, withRead(in))
	require.NoError(t, err)
	require.True(t, found.Found)
	assert.JSONEq(t, `{"best": {"trial_id": 2}}`, string(found.Result))

	found, err = execute[activities.SearchCacheResult](t, acts, acts.LookupSearch, in)
	require.NoError(t, err)
	assert.False(t, found.Found, "not read unless asked")

	other := withRead(in)
	other.Search.NIter = 4
	found, err = execute[activities.SearchCacheResult](t, acts, acts.LookupSearch, other)
	require.NoError(t, err)
	assert.False(t, found.Found, "another search block is another search")
}

func withRead(in activities.SearchCacheInput) activities.SearchCacheInput {
	in.Cache = readCache
	return in
}
