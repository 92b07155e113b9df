package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlpipe/mlpipe/internal/metrics"
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
	case workflows.StateFailed, workflows.OutcomeDeployed, workflows.OutcomeGateFailed, workflows.OutcomeRejected, workflows.OutcomeApprovalTimeout:
		return true
	}
	return false
}

// pipelineStatus asks the workflow; a finished one with no worker to answer
// the query is read from its result instead.
func pipelineStatus(ctx context.Context, c client.Client, id string) (workflows.PipelineStatus, error) {
	st, qerr := queryStatus(ctx, c, id)
	if qerr == nil {
		return st, nil
	}
	desc, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return st, fmt.Errorf("pipeline %s: %w", id, err)
	}
	if desc.WorkflowCloseTime == nil {
		return st, fmt.Errorf("pipeline %s is running but did not answer (is a worker running on mlpipe-cpu?): %w", id, qerr)
	}
	var res workflows.PipelineResult
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return workflows.PipelineStatus{State: workflows.StateFailed, Stages: res.Stages}, nil
	}
	return workflows.PipelineStatus{Pipeline: res.Pipeline, Model: res.Model, State: res.Outcome, Stages: res.Stages, Result: &res}, nil
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
		fmt.Fprintf(w, "  %s by %s via %s at %s %s\n", d.Decision, d.Approver, d.Via, d.At.Format(time.RFC3339), quoteComment(d.Comment))
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

func printResult(w io.Writer, r workflows.PipelineResult) {
	var b strings.Builder
	fmt.Fprintf(&b, "result: %s", r.Outcome)
	if r.Version > 0 {
		fmt.Fprintf(&b, ": %s version %d is in production", r.Model, r.Version)
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, " (%s)", r.Reason)
	}
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
