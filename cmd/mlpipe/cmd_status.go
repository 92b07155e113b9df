package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

// status shows a pipeline; --wait-for polls until it reaches a state.
func (m *Main) status(ctx context.Context, args []string) error {
	fs := newFlags("status")
	out := fs.String("o", "text", "output: text or json")
	format := fs.String("format", "", `print this Go template over the status instead, e.g. '{{.Result.Version}}'`)
	waitFor := fs.String("wait-for", "", "poll until the pipeline reaches this state (e.g. awaiting_approval, deployed)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long --wait-for waits")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("usage: mlpipe status WORKFLOW_ID [-o json] [--wait-for STATE]")
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := pipelineStatus(ctx, c, pos[0])
	if *waitFor != "" {
		deadline := time.Now().Add(*timeout)
		for err != nil || (st.State != *waitFor && !terminal(st.State)) {
			// A pipeline that does not exist will not come to exist by
			// waiting: say so now, not when the timeout ends.
			if errors.Is(err, errNoWorkflow) {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not reach %s within %s (state %s)", pos[0], *waitFor, *timeout, st.State)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
			st, err = pipelineStatus(ctx, c, pos[0])
		}
		if st.State != *waitFor {
			printStatus(m.Stdout, pos[0], st)
			return fmt.Errorf("%s ended as %s, not %s", pos[0], st.State, *waitFor)
		}
	}
	if err != nil {
		return err
	}
	addTrainingProgress(ctx, c, pos[0], &st)
	if *format != "" {
		tmpl, err := template.New("format").Parse(*format)
		if err != nil {
			return usageErr("--format: %v", err)
		}
		if err := tmpl.Execute(m.Stdout, st); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(m.Stdout)
		return nil
	}
	if *out == "json" {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(st)
	}
	printStatus(m.Stdout, pos[0], st)
	return nil
}

func terminal(state string) bool {
	switch state {
	case workflows.StateFailed, workflows.OutcomeDeployed, workflows.OutcomeGateFailed, workflows.OutcomeRejected, workflows.OutcomeApprovalTimeout,
		// A pipeline whose rollout did not promote ends with the rollout's outcome.
		workflows.OutcomeRolledBack, workflows.OutcomeAborted, workflows.OutcomeDiscarded:
		return true
	}
	return false
}

// pipelineStatus asks the workflow; a finished one with no worker to answer
// the query is read from its result instead.
func pipelineStatus(ctx context.Context, c client.Client, id string) (workflows.PipelineStatus, error) {
	st, qerr := queryStatus(ctx, c, id)
	if qerr == nil {
		if st.State == workflows.StateFailed && st.Result == nil {
			st.Result = failure(ctx, c, id)
		}
		return st, nil
	}
	desc, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		if nf := workflowNotFound(id, err); nf != nil {
			return st, nf
		}
		return st, fmt.Errorf("pipeline %s: %w", id, err)
	}
	if desc.WorkflowCloseTime == nil {
		return st, fmt.Errorf("pipeline %s is running but did not answer (is a worker running on mlpipe-cpu?): %w", id, qerr)
	}
	var res workflows.PipelineResult
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		// A failed workflow returns its error, not a result: the stages
		// are lost with it, the reason is not.
		return workflows.PipelineStatus{State: workflows.StateFailed, Stages: res.Stages,
			Result: &workflows.PipelineResult{WorkflowID: id, Outcome: workflows.StateFailed, Reason: rootCause(err)}}, nil
	}
	return workflows.PipelineStatus{Pipeline: res.Pipeline, Model: res.Model, State: res.Outcome, Stages: res.Stages, Result: &res}, nil
}

// failure is a failed pipeline's result: the reason it failed, once the
// workflow has closed with it (nil before, or without an answer).
func failure(ctx context.Context, c client.Client, id string) *workflows.PipelineResult {
	desc, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil || desc.WorkflowCloseTime == nil {
		return nil
	}
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		return &workflows.PipelineResult{WorkflowID: id, Outcome: workflows.StateFailed, Reason: rootCause(err)}
	}
	return nil
}

func printStatus(w io.Writer, id string, st workflows.PipelineStatus) {
	fmt.Fprintf(w, "pipeline %s (%s → model %s): %s\n", id, st.Pipeline, st.Model, st.State)
	fmt.Fprintf(w, "  %-20s %-18s %-8s %-9s %s\n", "STAGE", "STATE", "ATTEMPTS", "TIME", "DETAIL")
	for _, s := range st.Stages {
		dur := ""
		if s.StartedAt != nil && s.EndedAt != nil {
			dur = s.EndedAt.Sub(*s.StartedAt).Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(w, "  %-20s %-18s %-8d %-9s %s\n", s.Name, s.State, s.Attempts, dur, s.Message)
	}
	for _, t := range st.Gate.Thresholds {
		mark := "holds"
		if !t.Passed {
			mark = "FAILS"
		}
		fmt.Fprintf(w, "  gate: %s %s (measured %.4f)\n", t.Rule, mark, t.Actual)
	}
	if d := st.Gate.Decision; d != nil {
		by := ""
		if d.Approver != "" {
			by = " by " + d.Approver
		}
		fmt.Fprintf(w, "  %s%s via %s at %s %s\n", d.Decision, by, d.Via, d.At.Format(time.RFC3339), quoteComment(d.Comment))
	}
	for _, ig := range st.Gate.Ignored {
		fmt.Fprintf(w, "  %s\n", ig)
	}
	if st.Result != nil {
		printResult(w, *st.Result)
	}
}

func quoteComment(c string) string {
	if c == "" {
		return ""
	}
	return fmt.Sprintf("(%q)", c)
}

// headlineF1 is the F1 a model is judged by: the binary f1, or f1_macro for
// a multi-class model, which has no binary f1 (a binary model's metrics
// have both).
func headlineF1(m map[string]float64) (name string, value float64, ok bool) {
	if v, ok := m[metrics.F1]; ok {
		return metrics.F1, v, true
	}
	if v, ok := m[metrics.F1Macro]; ok {
		return metrics.F1Macro, v, true
	}
	return "", 0, false
}

// printResult says how a pipeline ended, for its model, and the test
// metrics.
func printResult(w io.Writer, r workflows.PipelineResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "result: %s", outcomeText(r))
	if name, f1, ok := headlineF1(r.Metrics); ok {
		auc := "roc_auc"
		if name == metrics.F1Macro {
			auc = metrics.ROCAUCOVR
		}
		fmt.Fprintf(&b, "\n  test %s %.4f, accuracy %s, %s %s", name, f1, metricText(r.Metrics, metrics.Accuracy), auc, metricText(r.Metrics, auc))
	}
	if r.ReportURI != "" {
		fmt.Fprintf(&b, "\n  report %s", r.ReportURI)
	}
	fmt.Fprintln(w, b.String())
}

// metricText is a result metric to four places, or n/a when the test rows
// left it undefined (absent from the metrics) rather than zero.
func metricText(m map[string]float64, name string) string {
	if v, ok := m[name]; ok {
		return fmt.Sprintf("%.4f", v)
	}
	return "n/a"
}

// outcomeText is an outcome in words: what became of the model and why.
func outcomeText(r workflows.PipelineResult) string {
	what := r.Model
	if r.Version > 0 {
		what = fmt.Sprintf("%s version %d", r.Model, r.Version)
	}
	because := func(reason string) string {
		if reason == "" {
			return ""
		}
		return ": " + reason
	}
	switch r.Outcome {
	case workflows.OutcomeDeployed:
		if r.Version == 0 {
			return r.Outcome
		}
		return fmt.Sprintf("%s: %s is in production", r.Outcome, what)
	case workflows.OutcomeRejected:
		if a := r.Approval; a != nil && a.Approver != "" {
			return fmt.Sprintf("%s: %s was rejected by %s%s", r.Outcome, what, a.Approver, because(a.Comment))
		}
		if by, ok := strings.CutPrefix(r.Reason, "rejected by "); ok {
			return fmt.Sprintf("%s: %s was rejected by %s", r.Outcome, what, strings.TrimSuffix(by, ": "))
		}
		return fmt.Sprintf("%s: %s was rejected%s", r.Outcome, what, because(r.Reason))
	case workflows.OutcomeApprovalTimeout:
		return fmt.Sprintf("%s: %s was not promoted%s", r.Outcome, what, because(r.Reason))
	case workflows.OutcomeGateFailed:
		var failed []string
		for _, t := range r.Thresholds {
			if !t.Passed {
				failed = append(failed, fmt.Sprintf("%s fails (got %.4f)", t.Rule, t.Actual))
			}
		}
		reason := r.Reason
		if len(failed) > 0 {
			reason = strings.Join(failed, "; ")
		}
		return fmt.Sprintf("%s: %s was not registered%s", r.Outcome, what, because(reason))
	case workflows.OutcomeRolledBack:
		return fmt.Sprintf("%s: %s was rolled back, production is unchanged%s", r.Outcome, what, because(r.Reason))
	case workflows.OutcomeAborted:
		return fmt.Sprintf("%s: the rollout of %s was aborted, production is unchanged%s", r.Outcome, what, because(r.Reason))
	case workflows.OutcomeDiscarded:
		return fmt.Sprintf("%s: %s was discarded after its shadow run, production is unchanged%s", r.Outcome, what, because(r.Reason))
	default:
		return r.Outcome + because(r.Reason)
	}
}

// addTrainingProgress puts each running training's progress and attempt
// into its stage (see trainingProgress). Without an answer the status
// goes out as the workflow gave it.
func addTrainingProgress(ctx context.Context, c client.Client, id string, st *workflows.PipelineStatus) {
	for i, p := range trainingProgress(ctx, c, id, *st) {
		s := &st.Stages[i]
		s.Attempts = p.attempt
		if s.Message == "" {
			s.Message = p.text
		} else {
			s.Message += "; " + p.text
		}
	}
}

// printProgress prints a line in `mlpipe run`'s following output when a
// running training's progress changed; seen holds the last line printed
// per stage (under "progress " and its name) beside printChanges' states.
func (m *Main) printProgress(ctx context.Context, c client.Client, id string, st workflows.PipelineStatus, seen map[string]string) {
	for i, p := range trainingProgress(ctx, c, id, st) {
		key := "progress " + st.Stages[i].Name
		if seen[key] == p.text {
			continue
		}
		seen[key] = p.text
		fmt.Fprintf(m.Stdout, "  %-10s %-20s %s\n", stateMark(workflows.StateRunning), st.Stages[i].Name, p.text)
	}
}

// stageProgress is a running training's progress in words and its attempt.
type stageProgress struct {
	text    string
	attempt int32
}

// trainingProgress reads each running training's last heartbeat (its
// epoch of the total, or what it waits for) and attempt, by stage index.
// The workflow cannot know them; the server keeps them with the pending
// activity. Nil when none runs or the server does not answer.
func trainingProgress(ctx context.Context, c client.Client, id string, st workflows.PipelineStatus) map[int]stageProgress {
	var running []int
	for i, s := range st.Stages {
		if s.Kind == spec.KindTraining && s.State == workflows.StateRunning {
			running = append(running, i)
		}
	}
	if len(running) == 0 {
		return nil
	}
	desc, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return nil
	}
	var pending []*workflowpb.PendingActivityInfo
	for _, pa := range desc.RawResponse.GetPendingActivities() {
		if pa.GetActivityType().GetName() == trainActivity {
			pending = append(pending, pa)
		}
	}
	if len(pending) != len(running) {
		return nil // a stage still searching has no TrainModel yet: nothing to match
	}
	// Training stages schedule their activity when they start, so the
	// activity IDs (a sequence) follow the stages' start times.
	slices.SortFunc(running, func(a, b int) int { return startOf(st.Stages[a]).Compare(startOf(st.Stages[b])) })
	slices.SortFunc(pending, func(a, b *workflowpb.PendingActivityInfo) int {
		x, _ := strconv.Atoi(a.GetActivityId())
		y, _ := strconv.Atoi(b.GetActivityId())
		return x - y
	})
	out := make(map[int]stageProgress, len(running))
	for k, i := range running {
		out[i] = stageProgress{text: progressText(pending[k]), attempt: pending[k].GetAttempt()}
	}
	return out
}

// trainActivity is the registered name of the training activity.
const trainActivity = "TrainModel"

func startOf(s workflows.StageStatus) time.Time {
	if s.StartedAt == nil {
		return time.Time{}
	}
	return *s.StartedAt
}

// progressText reads a pending TrainModel: its epoch of the total from
// the last heartbeat that reached the server, or what it waits for.
func progressText(pa *workflowpb.PendingActivityInfo) string {
	attempt := fmt.Sprintf("(attempt %d)", pa.GetAttempt())
	var p activities.TrainingProgress
	haveDetails := pa.GetHeartbeatDetails() != nil &&
		converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &p) == nil
	switch {
	case pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED && pa.GetAttempt() > 1:
		if e, ok := model.CheckpointEpoch(p.Checkpoint.URI); ok {
			return fmt.Sprintf("retrying from the checkpoint after epoch %d %s", e, attempt)
		}
		return "retrying " + attempt
	case pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED:
		return "waiting for a worker on " + workflows.TaskQueueGPU + " " + attempt
	case haveDetails && p.WaitingForSlot:
		return "waiting for a training slot " + attempt
	case haveDetails && p.Epochs > 0 && p.Unit == activities.UnitRound:
		return fmt.Sprintf("round %d/%d %s", p.Epoch, p.Epochs, attempt)
	case haveDetails && p.Epochs > 0:
		return fmt.Sprintf("epoch %d/%d, loss %.4f %s", p.Epoch, p.Epochs, p.Loss, attempt)
	default:
		return "starting " + attempt
	}
}
