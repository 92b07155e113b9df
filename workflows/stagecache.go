package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// cacheUse decides whether a stage's activity takes a result the stage
// cache holds for its inputs. A resumed run takes every one, so only the
// failed stage and those after it compute again. Otherwise `cache:` says:
// left out, the data stages (ingestion, validation, features) read and
// training and evaluation do not; true, every stage reads; false, none.
// Deployment has no activity result to cache: its gate and approval run
// every time.
func (p *pipeline) cacheUse(st spec.Stage) activities.CacheUse {
	if p.in.Resume != nil {
		return activities.CacheUse{Read: true}
	}
	switch p.in.StageCache(st) {
	case spec.CacheOff:
		return activities.CacheUse{}
	case spec.CacheOn:
		return activities.CacheUse{Read: true}
	}
	switch st.KindOrName() {
	case spec.KindIngestion, spec.KindValidation, spec.KindFeatures:
		return activities.CacheUse{Read: true}
	}
	return activities.CacheUse{}
}

// trainingCacheUse is cacheUse for training, which reads the cache under
// `cache: true` only when the spec fixes its seed: the spec cannot tell a
// seed of 0 from one left out, and a model taken from the cache must be
// the one a person who set the seed would expect this run to train. why
// says, for the status, why training did not read when asked to.
func (p *pipeline) trainingCacheUse(st spec.Stage, cfg model.Config) (activities.CacheUse, string) {
	use := p.cacheUse(st)
	if !use.Read || p.in.Resume != nil || cfg.Seed != 0 {
		return use, ""
	}
	return activities.CacheUse{}, "not taken from the stage cache: cache: true needs a fixed seed for training; set hyperparameters.seed (not 0)"
}

// markCached shows a stage whose result came from the stage cache as
// cached: in its state's detail (the status query, `mlpipe status`, the
// Web UI's table) and its Cached flag.
func (p *pipeline) markCached(name string, from *activities.CachedFrom) {
	if from == nil {
		return
	}
	s := p.stage(name)
	s.Cached = true
	s.Message = fmt.Sprintf("cached: %s (recorded by %s)", s.Message, from.WorkflowID)
	if from.Note != "" {
		s.Message += "; " + from.Note
	}
}

// versionSearchCache marks pipelines that look a hyperparameter search up
// in the stage cache before running it, and record it after: two
// activities the pipelines before it did not schedule.
const versionSearchCache = "pipeline-search-cache"

// cachedSearch runs the search, or, when use allows reading and the stage
// cache holds a search of the same training split, base hyperparameters
// and search block, takes its result instead (from says who recorded it).
// A search that ran is recorded, whatever use says, so a resumed run finds
// it. Neither the lookup nor the record can fail the stage: the cache is
// only ever a shortcut.
func (p *pipeline) cachedSearch(ctx workflow.Context, st spec.Stage, fs activities.FeatureSet, base model.Config, use activities.CacheUse) (SearchResult, *activities.CachedFrom, error) {
	if workflow.GetVersion(ctx, versionSearchCache, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		res, err := p.search(ctx, st, fs, base)
		return res, nil, err
	}
	in := activities.SearchCacheInput{Model: p.in.Model, Train: fs.Train, Base: base, Search: *p.in.Search, Cache: use}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueueCPU,
		StartToCloseTimeout: 2 * time.Minute,
		Summary:             st.Name + ": stage cache of the search",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
	logger := workflow.GetLogger(ctx)
	if use.Read {
		var found searchCacheFound
		err := workflow.ExecuteActivity(actx, a.LookupSearch, in).Get(ctx, &found)
		if err != nil {
			logger.Warn("search cache lookup failed; running the search", "error", err)
		}
		if err == nil && found.Found && found.Cached != nil {
			res := found.Result
			p.result.Search = &res
			p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("search taken from the stage cache (recorded by %s): best trial %d, %s %.4f ± %.4f (%s); training it on the whole split",
				found.Cached.WorkflowID, res.Best.TrialID, in.Search.Scoring, res.Best.Mean, res.Best.Std, tune.ParamText(res.Best.Params)))
			return res, found.Cached, nil
		}
	}
	res, err := p.search(ctx, st, fs, base)
	if err != nil {
		return res, nil, err
	}
	rec := searchCacheRecord{SearchCacheInput: in, Result: res}
	if err := workflow.ExecuteActivity(actx, a.RecordSearch, rec).Get(ctx, nil); err != nil {
		logger.Warn("search not recorded in the stage cache", "error", err)
	}
	return res, nil, nil
}

// searchCacheFound is LookupSearch's result (activities.SearchCacheResult)
// with the recorded result decoded as the search's own type, by the SDK's
// converter rather than in workflow code.
type searchCacheFound struct {
	Found  bool                   `json:"found"`
	Result SearchResult           `json:"result"`
	Cached *activities.CachedFrom `json:"cached,omitempty"`
}

// searchCacheRecord is RecordSearch's input (activities.SearchCacheInput)
// with the result to record as the search's own type.
type searchCacheRecord struct {
	activities.SearchCacheInput
	Result SearchResult `json:"result"`
}
