package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/traffic"
)

const trafficUsage = "usage: mlpipe traffic MODEL --csv FILE [--label COLUMN] [--value COLUMN] [--rate 20] [--duration 1m] [--requests N] [--sticky COLUMN] [--drift KIND:AMOUNT]... [--gateway URL]"

// traffic replays a CSV against the gateway at a steady rate and sends the
// true labels back as feedback, so a demo's canary has traffic to judge.
func (m *Main) traffic(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("traffic")
	csvPath := fs.String("csv", "", "rows to replay, cycling when exhausted")
	label := fs.String("label", "", "label column: removed from requests, sent back as feedback (none: no feedback)")
	value := fs.String("value", "", "numeric column sent with the feedback as business value")
	rate := fs.Float64("rate", 20, "requests per second (0: as fast as --concurrency allows)")
	duration := fs.Duration("duration", 0, "stop after this long (default 1m unless --requests is set)")
	requests := fs.Int("requests", 0, "stop after this many requests")
	concurrency := fs.Int("concurrency", 4, "requests in flight at most")
	delay := fs.Duration("feedback-delay", 0, "send each label this long after its answer")
	sticky := fs.String("sticky", "", "column whose value is sent as X-Route-Key, pinning a caller to one variant")
	every := fs.Duration("progress", 5*time.Second, "print a progress line this often")
	gw := fs.String("gateway", s.GatewayURL, "gateway URL")
	var drifts driftFlag
	fs.Var(&drifts, "drift", "drift the replayed rows: "+gen.DriftUsage+" (repeatable)")
	driftCol := fs.String("drift-column", "", "column a --drift without its own :COLUMN changes (default: the first that fits)")
	positive := fs.String("positive", "yes", "the --label value label_shift moves rows towards")
	driftSeed := fs.Int64("drift-seed", 1, "random seed for the rows --drift changes")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *csvPath == "" {
		return usageErr(trafficUsage)
	}
	if *duration == 0 && *requests == 0 {
		*duration = time.Minute
	}
	rows, err := csvRows(*csvPath, -1)
	if len(drifts) > 0 {
		o := gen.DriftOptions{Label: *label, Positive: *positive, Seed: *driftSeed}
		rows, err = driftedRows(*csvPath, drifts.withColumn(*driftCol), o)
	}
	if err != nil {
		return err
	}
	o := traffic.Options{
		Gateway: *gw, Model: pos[0], Rows: rows, LabelColumn: *label, ValueColumn: *value,
		Rate: *rate, Duration: *duration, Requests: *requests, Concurrency: *concurrency,
		FeedbackDelay: *delay, StickyKey: *sticky, ProgressEvery: *every,
		Progress: func(r traffic.Result) { printProgress(m.Stdout, r) },
	}
	fmt.Fprintf(m.Stdout, "replaying %d rows from %s to %s (model %s, %s)\n", len(rows), *csvPath, *gw, pos[0], bounds(o))
	res, err := traffic.Run(ctx, o)
	interrupted := err != nil && ctx.Err() != nil
	if err != nil && !interrupted {
		return usageErr("%s", strings.TrimPrefix(err.Error(), "traffic: "))
	}
	printSummary(m.Stdout, pos[0], res, interrupted)
	if res.Requests > 0 && res.Errors == res.Requests {
		return fmt.Errorf("every request failed; the first: %s", res.FirstError)
	}
	return nil
}

// driftedRows reads a CSV as csvRows does, with the drifts applied to its
// cells first.
func driftedRows(path string, drifts []gen.Drift, o gen.DriftOptions) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := gen.DriftCSV(f, &buf, drifts, o); err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	fr, err := frame.ReadCSV(&buf, frame.ReadOptions{Source: path + " (drifted)"})
	if err != nil {
		return nil, err
	}
	rows := fr.Records(-1)
	for _, row := range rows {
		for _, c := range fr.Names() {
			if _, ok := row[c]; !ok {
				row[c] = nil
			}
		}
	}
	return rows, nil
}

func bounds(o traffic.Options) string {
	rate := "as fast as possible"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%g/s", o.Rate)
	}
	switch {
	case o.Requests > 0 && o.Duration > 0:
		return fmt.Sprintf("%s, %d requests or %s", rate, o.Requests, o.Duration)
	case o.Requests > 0:
		return fmt.Sprintf("%s, %d requests", rate, o.Requests)
	default:
		return fmt.Sprintf("%s for %s", rate, o.Duration)
	}
}

func printProgress(w io.Writer, r traffic.Result) {
	fmt.Fprintf(w, "%6s  %d requests  %d errors  %.1f/s  p50 %s  p99 %s  feedback joined %d\n",
		r.Elapsed.Round(time.Second), r.Requests, r.Errors, perSecond(r), ms(r.P50), ms(r.P99), r.FeedbackJoined)
}

func printSummary(w io.Writer, model string, r traffic.Result, interrupted bool) {
	note := ""
	if interrupted {
		note = " (interrupted)"
	}
	fmt.Fprintf(w, "\ntraffic %s%s: %d requests in %s (%.1f/s), %d errors\n",
		model, note, r.Requests, r.Elapsed.Round(time.Millisecond), perSecond(r), r.Errors)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, v := range slices.Sorted(maps.Keys(r.ByVariant)) {
		fmt.Fprintf(tw, "  variant %s\t%d\t\n", v, r.ByVariant[v])
	}
	for _, v := range slices.Sorted(maps.Keys(r.ByVersion)) {
		fmt.Fprintf(tw, "  version %d\t%d\t\n", v, r.ByVersion[v])
	}
	_ = tw.Flush() // writes to m.Stdout; nothing useful to do on failure
	fmt.Fprintf(w, "  feedback: %d sent, %d joined, %d unknown", r.FeedbackSent, r.FeedbackJoined, r.FeedbackUnknown)
	if r.FeedbackErrors > 0 {
		fmt.Fprintf(w, ", %d failed", r.FeedbackErrors)
	}
	if r.FeedbackPending > 0 {
		fmt.Fprintf(w, ", %d not sent (still delayed)", r.FeedbackPending)
	}
	fmt.Fprintf(w, "\n  latency: p50 %s  p99 %s\n", ms(r.P50), ms(r.P99))
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
}

func perSecond(r traffic.Result) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
