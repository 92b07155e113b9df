package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/report"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// EvaluationReport is the stored JSON report of model_evaluation.
type EvaluationReport struct {
	Model      string       `json:"model"`
	Bundle     artifact.Ref `json:"bundle"`
	WorkflowID string       `json:"workflow_id"`
	FeatureSet string       `json:"feature_set"`
	TestData   string       `json:"test_data"`
	Rows       int          `json:"rows"`
	Threshold  float64      `json:"threshold"`
	// Evaluation is a binary model's evaluation, Multiclass a multi-class
	// one's; exactly one is set.
	Evaluation *metrics.Evaluation      `json:"evaluation,omitempty"`
	Multiclass *metrics.MultiEvaluation `json:"multiclass,omitempty"`
	Slices     []SliceReport            `json:"slices,omitempty"`
	Champion   *Champion                `json:"champion,omitempty"`
	Latency    *Latency                 `json:"latency,omitempty"`
	Gate       []spec.Threshold         `json:"gate,omitempty"`
	Search     []tune.TrialResult       `json:"search,omitempty"`
	// Calibration is the isotonic map fitted on a binary model's test
	// probabilities and labels, stored beside the report for the monitor's
	// label-free estimate; CalibrationNote says why there is none.
	Calibration     string    `json:"calibration,omitempty"`
	CalibrationNote string    `json:"calibration_note,omitempty"`
	CreatedAt       time.Time `json:"created_at"`

	// testProba are a binary model's test probabilities, kept for the
	// calibration.
	testProba []float64
}

// SliceReport is the metrics of the rows sharing one value of a column:
// Report for a binary model, Multiclass for a multi-class one.
type SliceReport struct {
	Column     string               `json:"column"`
	Value      string               `json:"value"`
	Rows       int                  `json:"rows"`
	Report     *metrics.Report      `json:"report,omitempty"`
	Multiclass *metrics.MultiReport `json:"multiclass,omitempty"`
}

// Latency is the candidate's prediction speed through the serving path
// (raw rows, transform, model), measured on the evaluation worker.
type Latency struct {
	P50Single          time.Duration `json:"p50_single"`
	P99Single          time.Duration `json:"p99_single"`
	BatchSize          int           `json:"batch_size"`
	BatchRowsPerSecond float64       `json:"batch_rows_per_second"`
}

// EvaluateModel scores the model on its test data and writes the report:
// metrics with bootstrap intervals for the gate's metrics, curves,
// calibration, a threshold sweep, slices, the production model's score on
// the same rows (the champion), and prediction latency. A multi-class
// model gets its own metrics (macro and weighted averages, the K×K
// confusion matrix, one-vs-rest ROC) and no sweep or calibration. It
// stores the report as JSON and as a self-contained HTML page. With
// in.Cache.Read, an evaluation the stage cache holds for the same model,
// test data, settings and production model is returned instead.
func (a *Activities) EvaluateModel(ctx context.Context, in EvaluateModelInput) (EvaluateModelResult, error) {
	// A killed worker is noticed within the stage's heartbeat timeout,
	// not only at its 30-minute timeout.
	defer startHeartbeat(ctx, TrialHeartbeatInterval, nil).stop()
	key, err := a.evaluationKey(ctx, in)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	var rec Evaluation
	if from, ok := a.cached(ctx, in.Cache, cacheEvaluation, key, &rec); ok {
		return EvaluateModelResult{Evaluation: rec, Attempt: activity.GetInfo(ctx).Attempt, Cached: from}, nil
	}
	res, err := a.evaluateModel(ctx, in)
	if err != nil {
		return res, err
	}
	a.record(ctx, cacheEvaluation, key, []artifact.Ref{res.Evaluation.Report, res.Evaluation.HTML}, res.Evaluation)
	return res, nil
}

// evaluationKey keys an evaluation in the stage cache: the model, its
// test data, the settings and the production model it is compared with.
// An external test source is read by name, so its content is not known
// before reading it: such an evaluation gets no key and is not cached.
func (a *Activities) evaluationKey(ctx context.Context, in EvaluateModelInput) (string, error) {
	if in.TestSource != "" && !strings.HasPrefix(in.TestSource, a.Store.URI("datasets/")) {
		return "", nil
	}
	champion := "none"
	if a.Registry != nil && in.ModelName != "" {
		prod, ok, err := a.Registry.Alias(ctx, in.ModelName, registry.AliasProduction)
		if err != nil {
			// Not knowing the champion only means not using the cache.
			activity.GetLogger(ctx).Warn("stage cache not used: the production model is unknown", "error", err)
			return "", nil
		}
		if ok {
			champion = fmt.Sprintf("%d:%s", prod.Version, prod.Model.SHA256)
		}
	}
	f := in.Model.Features
	return cacheKey(cacheEvaluation, in.ModelName, in.Model.Bundle.SHA256, f.Test.SHA256, f.TestRaw.SHA256, in.TestSource,
		in.Settings, in.EvaluationThreshold, in.ChampionThreshold, in.Threshold, in.Search, champion)
}

// evaluateModel evaluates, as EvaluateModel says.
func (a *Activities) evaluateModel(ctx context.Context, in EvaluateModelInput) (EvaluateModelResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	b, err := loadBundle(ctx, in.Model.Bundle)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	settings := evaluationDefaults(in, b)
	data, err := loadTestData(ctx, in, b)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	gateMetrics := slices.Sorted(maps.Keys(in.EvaluationThreshold))
	for m := range in.ChampionThreshold {
		if !slices.Contains(gateMetrics, m) {
			gateMetrics = append(gateMetrics, m)
		}
	}
	slices.Sort(gateMetrics)
	opts := metrics.Options{Seed: 1, Resamples: settings.Bootstrap}
	if settings.Bootstrap > 0 {
		opts.IntervalMetrics = gateMetrics
	} else {
		opts.Resamples = 0
	}
	doc := EvaluationReport{
		Model: b.Name, Bundle: in.Model.Bundle, WorkflowID: in.WorkflowID, FeatureSet: in.Model.Features.Version,
		TestData: data.name, Rows: data.test.Rows(), Threshold: settings.Threshold, CreatedAt: time.Now().UTC(),
		Search: in.Search,
	}
	evaluate := scoreBinary
	if b.MultiClass() {
		evaluate = scoreMultiClass
	}
	ev, intervals, err := evaluate(&doc, b, data, settings, opts)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	if data.raw != nil {
		doc.Latency = measureLatency(b, data.raw)
	}
	doc.Champion = a.scoreChampion(ctx, in.ModelName, in.Model.Bundle, b, data, settings.Threshold)
	ev.Champion, ev.TestRows = doc.Champion, data.test.Rows()
	if len(intervals) > 0 {
		ev.Low, ev.High = map[string]float64{}, map[string]float64{}
		for _, m := range gateMetrics {
			if iv, ok := intervals[m]; ok && !math.IsNaN(iv.Low) {
				ev.Low[m], ev.High[m] = iv.Low, iv.High
			}
		}
	}
	rules := spec.Pipeline{EvaluationThreshold: in.EvaluationThreshold, ChampionThreshold: in.ChampionThreshold, Evaluation: settings}
	cand, champ := ev.Scores()
	doc.Gate = rules.CheckGate(cand, champ)

	key := fmt.Sprintf("reports/evaluation/%s/%s", in.Model.Bundle.SHA256[:16], digestJSON(data.name, settings, in.EvaluationThreshold, in.ChampionThreshold)[:16])
	if doc.testProba != nil {
		if err := a.storeCalibration(ctx, &doc, key, data); err != nil {
			return EvaluateModelResult{}, err
		}
	}
	if ev.Report, err = a.putJSON(ctx, key+".json", doc); err != nil {
		return EvaluateModelResult{}, err
	}
	var page bytes.Buffer
	if err := report.Render(&page, reportPage(doc, b)); err != nil {
		return EvaluateModelResult{}, fmt.Errorf("render report: %w", err)
	}
	if ev.HTML, err = a.Store.Put(ctx, key+".html", &page, "text/html; charset=utf-8"); err != nil {
		return EvaluateModelResult{}, fmt.Errorf("store report: %w", err)
	}
	return EvaluateModelResult{Evaluation: ev, Attempt: attempt}, nil
}

// scoreBinary evaluates a binary model: it fills the report's evaluation
// and slices and returns what the gate reads and the bootstrap intervals.
func scoreBinary(doc *EvaluationReport, b *bundle.Bundle, data testData, settings spec.Evaluation, opts metrics.Options) (Evaluation, map[string]metrics.Interval, error) {
	proba, err := b.ScoreProba(data.test.X, data.test.Cols())
	if err != nil {
		return Evaluation{}, nil, invalid("evaluate %s: %v", data.name, err)
	}
	full, err := metrics.Evaluate(data.test.Y, proba, settings.Threshold, b.Labels, opts)
	if err != nil {
		return Evaluation{}, nil, invalid("evaluate %s: %v", data.name, err)
	}
	doc.Evaluation, doc.testProba = &full, proba
	if data.raw != nil {
		if doc.Slices, err = sliceReports(data.raw, settings.Slices, data.test.Y, proba, settings.Threshold); err != nil {
			return Evaluation{}, nil, invalid("evaluation.slices: %v", err)
		}
	}
	return Evaluation{Metrics: defined(full.Report), Confusion: full.Report.Confusion}, full.Intervals, nil
}

// evaluationDefaults fills settings a JSON input may leave out.
func evaluationDefaults(in EvaluateModelInput, b *bundle.Bundle) spec.Evaluation {
	s := in.Settings
	if s.Threshold == 0 {
		s.Threshold = in.Threshold
	}
	if s.Threshold == 0 {
		s.Threshold = b.Threshold
	}
	if s.Bootstrap == 0 {
		s.Bootstrap = metrics.DefaultResamples
	}
	if s.GateOn == "" {
		s.GateOn = spec.GateOnPoint
	}
	return s
}

// testData is what a model is evaluated on: the engineered matrix and,
// when known, the raw rows behind it (for slices, the champion and latency).
type testData struct {
	name string
	test matrix.Matrix
	raw  *frame.Frame
}

func loadTestData(ctx context.Context, in EvaluateModelInput, b *bundle.Bundle) (testData, error) {
	if in.TestSource != "" {
		raw, err := readRawCSV(ctx, in.TestSource)
		if err != nil {
			return testData{}, err
		}
		if _, ok := raw.Col(b.Transform.Target); !ok {
			return testData{}, invalid("test data %s: target column %q does not exist", in.TestSource, b.Transform.Target)
		}
		X, y, err := b.Transform.Apply(raw)
		if err != nil {
			return testData{}, invalid("test data %s: %v", in.TestSource, err)
		}
		return testData{name: in.TestSource, test: matrix.Matrix{Names: b.Transform.OutputNames(), X: X, Y: y}, raw: raw}, nil
	}
	test, err := readMatrix(ctx, in.Model.Features.Test)
	if err != nil {
		return testData{}, err
	}
	d := testData{name: in.Model.Features.Test.URI, test: test}
	if in.Model.Features.TestRaw.URI != "" {
		if d.raw, err = readFrame(ctx, in.Model.Features.TestRaw); err != nil {
			return testData{}, err
		}
	}
	return d, nil
}

// readRawCSV reads data.test_source. A path that cannot heal is refused; a
// network error, or a file still being written, is left to the retries.
func readRawCSV(ctx context.Context, uri string) (*frame.Frame, error) {
	rc, err := artifact.OpenURI(ctx, uri)
	if err != nil {
		switch {
		case errors.Is(err, artifact.ErrNotFound), errors.Is(err, fs.ErrNotExist), errors.Is(err, artifact.ErrIsDirectory), errors.Is(err, fs.ErrPermission):
			return nil, invalid("test data %s: %v: check data.test_source", uri, err)
		}
		return nil, fmt.Errorf("test data %s: %w", uri, err)
	}
	defer rc.Close()
	f, err := frame.ReadCSV(rc, frame.ReadOptions{Source: uri})
	if errors.Is(err, artifact.ErrSourceChanged) {
		return nil, temporal.NewApplicationError(fmt.Sprintf("test data %s: %v", uri, err), ErrSourceChanged)
	}
	if err != nil {
		return nil, dataError("test data", err)
	}
	return f, nil
}

// scoreChampion scores the production version, if any, on the same raw
// test rows through its own transform. A champion that cannot be scored,
// or whose classes differ from the candidate's, is reported with the
// reason, so change rules fail rather than pass blind.
func (a *Activities) scoreChampion(ctx context.Context, model string, candidate artifact.Ref, cand *bundle.Bundle, data testData, threshold float64) *Champion {
	if a.Registry == nil || model == "" {
		return nil
	}
	prod, ok, err := a.Registry.Alias(ctx, model, registry.AliasProduction)
	if err != nil {
		return &Champion{Error: fmt.Sprintf("read the registry: %v", err)}
	}
	if !ok || prod.Model.SHA256 == candidate.SHA256 {
		return nil
	}
	ch := &Champion{Version: prod.Version}
	if data.raw == nil {
		ch.Error = "the test data's raw rows are not stored, so the champion cannot be scored"
		return ch
	}
	cb, err := loadBundle(ctx, prod.Model)
	if err != nil {
		ch.Error = err.Error()
		return ch
	}
	if why := classesDiffer(prod.Version, cb, cand); why != "" {
		ch.Error = why
		return ch
	}
	X, y, err := cb.Transform.Apply(data.raw)
	if err != nil {
		ch.Error = fmt.Sprintf("version %d cannot read this data: %v", prod.Version, err)
		return ch
	}
	if cb.MultiClass() {
		ch.Metrics, err = championMultiClass(cb, X, y)
	} else {
		var p []float64
		if p, err = cb.ScoreProba(X, cb.Transform.NumOutputs()); err == nil {
			var rep metrics.Report
			if rep, err = metrics.Binary(data.test.Y, p, threshold); err == nil {
				ch.Metrics = defined(rep)
			}
		}
	}
	if err != nil {
		ch.Error = fmt.Sprintf("score version %d: %v", prod.Version, err)
	}
	return ch
}

// defined is a report's metrics by name, leaving out the undefined ones
// (NaN), which JSON cannot carry through Temporal.
func defined(rep metrics.Report) map[string]float64 {
	out := map[string]float64{}
	for _, name := range metrics.Names() {
		if v, ok := rep.Get(name); ok && !math.IsNaN(v) {
			out[name] = v
		}
	}
	return out
}
