package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/stagecache"
)

// The stage cache's stage names: the kind of result an entry records.
const (
	cacheIngestion  = "ingestion"
	cacheValidation = "validation"
	cacheFeatures   = "features"
	cacheTraining   = "training"
	cacheEvaluation = "evaluation"
)

// cacheKey keys a stage's result by what determines it; the code version
// is always part of it, since another build may compute another result.
func cacheKey(stage string, parts ...any) (string, error) {
	key, err := stagecache.Key(stage, append(parts, CodeVersion)...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", stage, err)
	}
	return key, nil
}

// cached returns the result recorded under key into out when use allows
// reading. An entry that cannot be used is logged and recomputed, never a
// failure.
func (a *Activities) cached(ctx context.Context, use CacheUse, stage, key string, out any) (*CachedFrom, bool) {
	if !use.Read || key == "" {
		return nil, false
	}
	e, hit, miss := stagecache.Cache{Store: a.Store}.Get(ctx, stage, key, out)
	if miss.Reason != "" {
		activity.GetLogger(ctx).Warn("stage cache entry not used; computing the stage", "stage", stage, "reason", miss.Reason)
	}
	if !hit {
		return nil, false
	}
	return &CachedFrom{WorkflowID: e.WorkflowID, Created: e.Created}, true
}

// record keeps a stage's result in the stage cache. The stage has
// succeeded whatever happens here, so a failure to record is a warning:
// a later run computes the stage again.
func (a *Activities) record(ctx context.Context, stage, key string, refs []artifact.Ref, result any) bool {
	if key == "" {
		return false
	}
	id := activity.GetInfo(ctx).WorkflowExecution.ID
	if err := (stagecache.Cache{Store: a.Store}).Put(ctx, stage, key, id, refs, result); err != nil {
		activity.GetLogger(ctx).Warn("stage result not recorded in the stage cache", "stage", stage, "error", err)
		return false
	}
	return true
}

// cacheSearch is the stage cache's name for a hyperparameter search.
const cacheSearch = "search"

func searchKey(in SearchCacheInput) (string, error) {
	return cacheKey(cacheSearch, in.Model, in.Train.SHA256, in.Base.Defaults(), in.Search)
}

// LookupSearch returns the result the stage cache holds for a search of
// the same training split, base hyperparameters and search block, so a
// pipeline need not run the search again. An unusable entry is a miss.
func (a *Activities) LookupSearch(ctx context.Context, in SearchCacheInput) (SearchCacheResult, error) {
	key, err := searchKey(in)
	if err != nil {
		return SearchCacheResult{}, err
	}
	var raw json.RawMessage
	from, ok := a.cached(ctx, in.Cache, cacheSearch, key, &raw)
	if !ok {
		return SearchCacheResult{}, nil
	}
	return SearchCacheResult{Found: true, Result: raw, Cached: from}, nil
}

// RecordSearch records a finished search's result in the stage cache.
// A failure to record is a warning, not an error: the search has run.
func (a *Activities) RecordSearch(ctx context.Context, in SearchCacheInput) (RecordSearchResult, error) {
	key, err := searchKey(in)
	if err != nil {
		return RecordSearchResult{}, err
	}
	if len(in.Result) == 0 {
		return RecordSearchResult{}, invalid("record search: no result to record")
	}
	return RecordSearchResult{Recorded: a.record(ctx, cacheSearch, key, []artifact.Ref{in.Train}, in.Result), Key: key}, nil
}
