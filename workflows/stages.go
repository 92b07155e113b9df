package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// a is only used for its method values: activity names come from them.
var a *activities.Activities

// runStage runs one stage by its kind and records its outcome.
func (p *pipeline) runStage(ctx workflow.Context, st spec.Stage) error {
	p.setState(ctx, st.Name, StateRunning, "")
	p.upsertStage(ctx, st.Name)
	var err error
	switch st.KindOrName() {
	case spec.KindIngestion:
		err = p.ingest(ctx, st)
	case spec.KindValidation:
		err = p.validate(ctx, st)
	case spec.KindFeatures:
		err = p.engineer(ctx, st)
	case spec.KindTraining:
		err = p.train(ctx, st)
	case spec.KindEvaluation:
		err = p.evaluate(ctx, st)
	case spec.KindDeployment:
		err = p.deploy(ctx, st)
	default:
		err = temporal.NewNonRetryableApplicationError("unknown stage kind "+st.KindOrName(), ErrInvalidSpec, nil)
	}
	err = p.explainTimeout(st, err)
	switch {
	case errors.Is(err, errNotPromoted):
		p.setState(ctx, st.Name, StateRejected, p.result.Reason)
	case err != nil:
		p.setState(ctx, st.Name, StateFailed, failureMessage(err))
	default:
		p.setState(ctx, st.Name, StateSucceeded, p.stage(st.Name).Message)
	}
	return err
}

// activityCtx gives a stage's activity explicit timeouts, a retry policy
// and a summary for the Web UI. Bad input is non-retryable at the source.
func (p *pipeline) activityCtx(ctx workflow.Context, st spec.Stage, queue string, timeout, heartbeat time.Duration, summary string) workflow.Context {
	if st.Timeout > 0 {
		timeout = st.Timeout.D()
	}
	if st.Heartbeat > 0 && heartbeat > 0 {
		heartbeat = st.Heartbeat.D()
	}
	attempts := int32(5)
	if st.Retries > 0 {
		attempts = int32(st.Retries)
	}
	p.limits[st.Name] = stageLimits{timeout: timeout, heartbeat: heartbeat, attempts: attempts}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    heartbeat,
		Summary:             st.Name + ": " + summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        attempts,
			NonRetryableErrorTypes: []string{activities.ErrInvalidInput, activities.ErrValidationFailed, activities.ErrDiverged},
		},
	})
}

// input finds the first of a stage's inputs that pick accepts.
func (p *pipeline) input(st spec.Stage, pick func(output) bool) (output, bool) {
	for _, name := range st.Inputs {
		if o, ok := p.outputs[name]; ok && pick(o) {
			return o, true
		}
	}
	return output{}, false
}

func (p *pipeline) produce(st spec.Stage, o output) {
	for _, name := range st.Outputs {
		p.outputs[name] = o
	}
}

func missing(st spec.Stage, what string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("stage %s: no %s among inputs %v", st.Name, what, st.Inputs), ErrInvalidSpec, nil)
}

func (p *pipeline) ingest(ctx workflow.Context, st spec.Stage) error {
	src, ok := p.input(st, func(o output) bool { return o.source != "" })
	if !ok {
		return missing(st, "external source")
	}
	var res activities.IngestDataResult
	actx := p.activityCtx(ctx, st, TaskQueueCPU, 30*time.Minute, time.Minute, src.source)
	// The columns the spec names are checked against the header before
	// anything is stored. Columns ranges over maps only to sort their
	// keys: deterministic.
	cols := p.columns
	if !p.recorded {
		//workflowcheck:ignore
		cols = p.in.Columns()
	}
	in := activities.IngestDataInput{Pipeline: p.in.Name, Source: src.source, Target: p.in.Data.Target, Columns: cols, Cache: p.cacheUse(st)}
	if err := workflow.ExecuteActivity(actx, a.IngestData, in).Get(ctx, &res); err != nil {
		return err
	}
	p.finish(st.Name, res.Attempt, []artifact.Ref{res.Dataset.Ref}, nil,
		fmt.Sprintf("%d rows × %d columns", res.Dataset.Rows, len(res.Dataset.Columns)))
	p.markCached(st.Name, res.Cached)
	p.produce(st, output{dataset: &res.Dataset})
	return nil
}

func (p *pipeline) validate(ctx workflow.Context, st spec.Stage) error {
	ds, ok := p.input(st, func(o output) bool { return o.dataset != nil })
	if !ok {
		return missing(st, "dataset")
	}
	// The stage's checks pick among the configured seed checks (all of
	// them when it lists none). The spec's expectations always run: writing
	// them is asking for them.
	// Freshness is judged against the pipeline's start, not a worker's clock.
	in := activities.ValidateDataInput{Dataset: *ds.dataset, Expectations: p.in.Expectations, Checks: p.in.Validation,
		Now: workflow.GetInfo(ctx).WorkflowStartTime, Model: p.in.Model, Cache: p.cacheUse(st)}
	if len(st.Checks) > 0 {
		in.Checks = expect.Checks{}
		for _, c := range st.Checks {
			switch c {
			case spec.CheckSchema:
				in.Checks.Schema = p.in.Validation.Schema
			case spec.CheckComplete:
				in.Checks.Completeness = p.in.Validation.Completeness
			case spec.CheckFreshness:
				in.Checks.Freshness = p.in.Validation.Freshness
			}
		}
	}
	summary := fmt.Sprintf("%d expectations + %v", len(in.Expectations), checkNames(in.Checks))
	var res activities.ValidateDataResult
	if err := workflow.ExecuteActivity(p.activityCtx(ctx, st, TaskQueueCPU, 30*time.Minute, time.Minute, summary), a.ValidateData, in).Get(ctx, &res); err != nil {
		return err
	}
	p.finish(st.Name, res.Attempt, []artifact.Ref{res.Report}, nil,
		fmt.Sprintf("%d checks passed", res.Evaluated))
	p.markCached(st.Name, res.Cached)
	p.produce(st, output{dataset: ds.dataset})
	return nil
}

func checkNames(c expect.Checks) []string {
	var out []string
	if len(c.Schema) > 0 {
		out = append(out, spec.CheckSchema)
	}
	if c.Completeness != nil {
		out = append(out, spec.CheckComplete)
	}
	if c.Freshness != nil {
		out = append(out, spec.CheckFreshness)
	}
	return out
}

func (p *pipeline) engineer(ctx workflow.Context, st spec.Stage) error {
	ds, ok := p.input(st, func(o output) bool { return o.dataset != nil })
	if !ok {
		return missing(st, "dataset")
	}
	in := activities.EngineerFeaturesInput{Pipeline: p.in.Name, Dataset: *ds.dataset, Spec: p.in.Features, TestSource: p.externalTestSource(),
		Cache: p.cacheUse(st)}
	var res activities.EngineerFeaturesResult
	summary := fmt.Sprintf("%d feature columns, test split %.0f%%", len(in.Spec.Columns), 100*testSize(in))
	if in.TestSource != "" {
		summary = fmt.Sprintf("%d feature columns, every row trains (the test set is data.test_source)", len(in.Spec.Columns))
	}
	if err := workflow.ExecuteActivity(p.activityCtx(ctx, st, TaskQueueCPU, 30*time.Minute, time.Minute, summary), a.EngineerFeatures, in).Get(ctx, &res); err != nil {
		return err
	}
	fs := res.Features
	msg := fmt.Sprintf("feature set %s: %d features, %d train / %d test rows", fs.Version, len(fs.Features), fs.TrainRows, fs.TestRows)
	if fs.Reused && res.Cached == nil {
		msg += " (reused)"
	}
	p.finish(st.Name, res.Attempt, []artifact.Ref{fs.Train, fs.Test, fs.TestRaw, fs.Transform}, nil, msg)
	p.markCached(st.Name, res.Cached)
	p.result.Features = &fs
	p.produce(st, output{features: &fs})
	return nil
}

// externalTestSource is data.test_source when the evaluation reads it in
// place of a held-out split; every row then trains.
func (p *pipeline) externalTestSource() string {
	if pr, ok := p.graph.Producers[spec.SourceTest]; ok && pr.Kind == spec.KindSource {
		return p.in.Data.TestSource
	}
	return ""
}

func testSize(in activities.EngineerFeaturesInput) float64 {
	if in.TestSource != "" {
		return 0
	}
	if in.Spec.Split.TestSize > 0 {
		return in.Spec.Split.TestSize
	}
	return 0.2
}

func (p *pipeline) train(ctx workflow.Context, st spec.Stage) error {
	fs, ok := p.input(st, func(o output) bool { return o.features != nil })
	if !ok {
		return missing(st, "feature set")
	}
	if st.Import != nil {
		return p.importModel(ctx, st, *fs.features)
	}
	cfg := p.in.Hyperparameters
	use, why := p.trainingCacheUse(st, cfg)
	var searchFrom *activities.CachedFrom
	if p.in.Search != nil {
		res, from, err := p.cachedSearch(ctx, st, *fs.features, cfg, use)
		if err != nil {
			return err
		}
		cfg, searchFrom = res.BestConfig, from
	}
	in := activities.TrainModelInput{Pipeline: p.in.Name, Model: p.in.Model, WorkflowID: p.id, Features: *fs.features, Config: cfg, Cache: use}
	var res activities.TrainModelResult
	if err := workflow.ExecuteActivity(p.activityCtx(ctx, st, TaskQueueGPU, 2*time.Hour, time.Minute, trainSummary(cfg)), a.TrainModel, in).Get(ctx, &res); err != nil {
		return err
	}
	m := res.Model
	msg := fmt.Sprintf("%d epochs, loss %.4f, %.1fs", m.Epochs, m.Loss, m.Seconds)
	unit := "epoch"
	if cfg.Kind == model.KindGradientBoosting {
		// A booster counts rounds (trees per class), and its loss is the
		// validation log-loss, absent without a validation split.
		unit = "round"
		msg = fmt.Sprintf("%d boosting rounds, %.1fs", m.Epochs, m.Seconds)
		if m.Loss > 0 {
			msg = fmt.Sprintf("%d boosting rounds, validation log-loss %.4f, %.1fs", m.Epochs, m.Loss, m.Seconds)
		}
	}
	if sr := p.result.Search; sr != nil {
		msg = fmt.Sprintf("best of %d trials (%s %.4f ± %.4f: %s), then %s", len(sr.Results), p.in.Search.Scoring, sr.Best.Mean, sr.Best.Std, tune.ParamText(sr.Best.Params), msg)
	}
	if m.ResumedFrom > 0 {
		msg += fmt.Sprintf(", resumed from %s %d", unit, m.ResumedFrom)
	}
	if searchFrom != nil && res.Cached == nil {
		msg += fmt.Sprintf("; the search was taken from the stage cache (recorded by %s)", searchFrom.WorkflowID)
	}
	if why != "" {
		msg += "; " + why
	}
	p.finish(st.Name, res.Attempt, []artifact.Ref{m.Bundle}, map[string]float64{"train_loss": m.Loss}, msg)
	p.markCached(st.Name, res.Cached)
	p.result.ModelURI = m.Bundle.URI
	p.produce(st, output{model: &m})
	return nil
}

// trainSummary describes a training for the Web UI: L-BFGS is full batch
// and has no learning rate, so it shows its iteration cap and tolerance.
func trainSummary(cfg model.Config) string {
	cfg = cfg.Defaults()
	if cfg.Kind == model.KindGradientBoosting {
		return fmt.Sprintf("%s, %d trees, max_depth %s, lr %.4g", cfg.Kind, cfg.NEstimators, cfg.MaxDepth, cfg.LearningRate)
	}
	if cfg.Optimizer == model.OptimizerLBFGS {
		return fmt.Sprintf("%s, lbfgs, max %d iterations, tol %.4g", cfg.Kind, cfg.Epochs, cfg.Tol)
	}
	// A searched learning rate has every digit of its draw; 4 are enough.
	return fmt.Sprintf("%s, %d epochs, lr %.4g, batch %d", cfg.Kind, cfg.Epochs, cfg.LearningRate, cfg.BatchSize)
}

// search runs the HyperparameterSearch child: trials×folds fan out on
// mlpipe-gpu; the best configuration is then trained on the whole split.
func (p *pipeline) search(ctx workflow.Context, st spec.Stage, fs activities.FeatureSet, base model.Config) (SearchResult, error) {
	s := *p.in.Search
	childID := p.id + "-search"
	p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("%s search: %d trials × %d folds in workflow %s", s.Strategy, s.NIter, s.CV, childID))
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:    childID,
		TaskQueue:     TaskQueueCPU,
		StaticSummary: fmt.Sprintf("%s search for %s: %d trials × %d folds, scoring %s", s.Strategy, p.in.Model, s.NIter, s.CV, s.Scoring),
	})
	var res SearchResult
	if err := workflow.ExecuteChildWorkflow(cctx, HyperparameterSearchName, SearchInput{Model: p.in.Model, Train: fs.Train, Base: base, Search: s}).Get(ctx, &res); err != nil {
		return res, err
	}
	p.result.Search = &res
	p.setState(ctx, st.Name, StateRunning, fmt.Sprintf("search done: best trial %d, %s %.4f ± %.4f (%s); training it on the whole split",
		res.Best.TrialID, s.Scoring, res.Best.Mean, res.Best.Std, tune.ParamText(res.Best.Params)))
	return res, nil
}

func (p *pipeline) evaluate(ctx workflow.Context, st spec.Stage) error {
	m, ok := p.input(st, func(o output) bool { return o.model != nil })
	if !ok {
		return missing(st, "trained model")
	}
	in := activities.EvaluateModelInput{
		Model: *m.model, ModelName: p.in.Model, WorkflowID: p.id, Settings: p.in.Evaluation,
		EvaluationThreshold: p.in.EvaluationThreshold, ChampionThreshold: p.in.ChampionThreshold,
		Cache: p.cacheUse(st),
	}
	if p.result.Search != nil {
		in.Search = p.result.Search.Results
	}
	summary := "held-out test split of feature set " + m.model.Features.Version
	if src, ok := p.input(st, func(o output) bool { return o.source != "" }); ok {
		in.TestSource, summary = src.source, src.source
	} else if ds, ok := p.input(st, func(o output) bool { return o.dataset != nil }); ok {
		in.TestSource, summary = ds.dataset.Ref.URI, ds.dataset.Ref.URI
	}
	var res activities.EvaluateModelResult
	if err := workflow.ExecuteActivity(p.activityCtx(ctx, st, TaskQueueCPU, 30*time.Minute, time.Minute, summary), a.EvaluateModel, in).Get(ctx, &res); err != nil {
		return err
	}
	ev := res.Evaluation
	p.finish(st.Name, res.Attempt, []artifact.Ref{ev.Report, ev.HTML}, ev.Metrics, ev.Summary())
	p.markCached(st.Name, res.Cached)
	p.result.Metrics = ev.Metrics
	p.result.ReportURI, p.result.ReportHTML = ev.Report.URI, ev.HTML.URI
	if ev.Champion != nil {
		p.result.Champion = ev.Champion
	}
	p.produce(st, output{evaluation: &ev})
	return nil
}

// stageLimits are the timeouts and attempts a stage's activity ran with.
type stageLimits struct {
	timeout, heartbeat time.Duration
	attempts           int32
}

// explainTimeout names the setting behind a stage activity's timeout:
// Temporal says only "activity StartToClose timeout", which does not tell
// a user that stages.NAME.timeout is what to raise.
func (p *pipeline) explainTimeout(st spec.Stage, err error) error {
	var (
		actErr   *temporal.ActivityError
		timeout  *temporal.TimeoutError
		childErr *temporal.ChildWorkflowExecutionError
	)
	// A search trial's timeout reaches here inside the child's error; its
	// limits are the search's own, not the stage's.
	if err == nil || !errors.As(err, &actErr) || errors.As(err, &childErr) || !errors.As(actErr, &timeout) {
		return err
	}
	lim, ok := p.limits[st.Name]
	if !ok {
		return err
	}
	setting, value, given := "timeout", lim.timeout, st.Timeout > 0
	what := "ran longer than"
	switch timeout.TimeoutType() {
	case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
	case enumspb.TIMEOUT_TYPE_HEARTBEAT:
		setting, value, given = "heartbeat", lim.heartbeat, st.Heartbeat > 0
		what = "went without a heartbeat for longer than"
	default:
		return err
	}
	name := fmt.Sprintf("stages.%s.%s", st.Name, setting)
	set := fmt.Sprintf("%s is %s", name, spec.Duration(value).Text())
	if !given {
		set = fmt.Sprintf("%s is not set, so the default %s applies", name, spec.Duration(value).Text())
	}
	tries := "its only attempt"
	if lim.attempts > 1 {
		tries = fmt.Sprintf("each of its %d attempts", lim.attempts)
	}
	msg := fmt.Sprintf("stage %s timed out: %s %s its %s (%s); raise %s", st.Name, tries, what, setting, set, name)
	return temporal.NewNonRetryableApplicationError(msg, ErrStageTimedOut, err)
}

// failureMessage unwraps Temporal's activity error to the cause a user
// needs to read.
func failureMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "cancelled"
	}
	return err.Error()
}
