package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/registry"
)

const modelsUsage = "usage: mlpipe models ls [NAME] [-o json] | mlpipe models show NAME[@VERSION|@ALIAS] [-o json] | mlpipe models import MODEL --xgboost FILE --transform FILE --as NAME | mlpipe models evaluate MODEL[@VERSION] -f pipeline.yaml"

// models reads the model registry: what is in production, each version's
// lineage and approval, and how the aliases got where they are.
func (m *Main) models(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return m.modelsImport(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "evaluate" {
		return m.modelsEvaluate(ctx, args[1:])
	}
	fs := newFlags("models")
	out := fs.String("o", "text", "output: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *out != "text" && *out != "json" {
		return usageErr("-o %q: use text or json", *out)
	}
	if len(pos) == 0 {
		return usageErr(modelsUsage)
	}
	sub, pos := pos[0], pos[1:]
	if (sub != "ls" && sub != "show") || len(pos) > 1 || (sub == "show" && len(pos) != 1) {
		return usageErr(modelsUsage)
	}

	location := config.FromEnv().Artifacts
	store, err := artifact.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", location, err)
	}
	mr := modelReader{reg: registry.New(store), location: location, json: *out == "json", w: m.Stdout}
	switch {
	case sub == "ls" && len(pos) == 0:
		return mr.listModels(ctx)
	case sub == "ls":
		return mr.listVersions(ctx, pos[0])
	default:
		return mr.show(ctx, pos[0])
	}
}

// modelReader runs one models subcommand.
type modelReader struct {
	reg      *registry.Registry
	location string
	json     bool
	w        io.Writer
}

// modelSummary is one row of `models ls`; 0 means unset.
type modelSummary struct {
	Model      string `json:"model"`
	Production int    `json:"production,omitempty"`
	Candidate  int    `json:"candidate,omitempty"`
	Previous   int    `json:"previous,omitempty"`
	Latest     int    `json:"latest"`
}

func (mr modelReader) listModels(ctx context.Context) error {
	names, err := mr.reg.Models(ctx)
	if err != nil {
		return err
	}
	rows := make([]modelSummary, 0, len(names))
	for _, name := range names {
		aliases, err := mr.reg.Aliases(ctx, name)
		if err != nil {
			return err
		}
		latest, err := mr.reg.Latest(ctx, name)
		if err != nil {
			return err
		}
		rows = append(rows, modelSummary{Model: name, Production: aliases[registry.AliasProduction],
			Candidate: aliases[registry.AliasCandidate], Previous: aliases[registry.AliasPrevious], Latest: latest.Version})
	}
	if mr.json {
		return mr.encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(mr.w, "no models in %s\n", mr.location)
		return nil
	}
	tw := tabwriter.NewWriter(mr.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPRODUCTION\tCANDIDATE\tPREVIOUS\tLATEST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", r.Model, orDash(r.Production), orDash(r.Candidate), orDash(r.Previous), r.Latest)
	}
	return tw.Flush()
}

// versionInfo is a version with the aliases that point at it.
type versionInfo struct {
	registry.Version
	Aliases []string `json:"aliases"`
}

func (mr modelReader) listVersions(ctx context.Context, name string) error {
	versions, aliases, err := mr.model(ctx, name)
	if err != nil {
		return err
	}
	slices.Reverse(versions) // newest first: the ones people ask about
	rows := make([]versionInfo, len(versions))
	for i, v := range versions {
		rows[i] = versionInfo{Version: v, Aliases: aliasesOf(aliases, v.Version)}
	}
	if mr.json {
		return mr.encode(rows)
	}
	tw := tabwriter.NewWriter(mr.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tF1\tACCURACY\tALIASES\tAPPROVAL\tWORKFLOW")
	for _, r := range rows {
		f1, accuracy := "-", "-"
		if name, x, ok := headlineF1(r.Metrics); ok {
			f1 = strconv.FormatFloat(x, 'f', 4, 64)
			if name == metrics.F1Macro {
				f1 += " (macro)"
			}
		}
		if x, ok := r.Metrics[metrics.Accuracy]; ok {
			accuracy = strconv.FormatFloat(x, 'f', 4, 64)
		}
		approval := "-"
		if a := r.Approval; a != nil {
			approval = a.Decision + " by " + a.Approver
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Version.Version, r.CreatedAt.Format(time.RFC3339), f1, accuracy,
			orDashS(strings.Join(r.Aliases, ",")), approval, orDashS(r.WorkflowID))
	}
	return tw.Flush()
}

// versionDetail is `models show -o json`.
type versionDetail struct {
	versionInfo
	History []registry.AliasEvent `json:"alias_history"`
}

func (mr modelReader) show(ctx context.Context, target string) error {
	name, ref, _ := strings.Cut(target, "@")
	if ref == "" {
		ref = registry.AliasProduction
	}
	versions, aliases, err := mr.model(ctx, name)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(ref)
	if err != nil {
		var ok bool
		if n, ok = aliases[ref]; !ok {
			return fmt.Errorf("model %s has no %s version (aliases: %s; versions: %s): name one with %s@VERSION",
				name, ref, aliasList(aliases), versionList(versions), name)
		}
	}
	i := slices.IndexFunc(versions, func(v registry.Version) bool { return v.Version == n })
	if i < 0 {
		return fmt.Errorf("model %s has no version %d (versions: %s)", name, n, versionList(versions))
	}
	hist, err := mr.reg.History(ctx, name)
	if err != nil {
		return err
	}
	hist = slices.DeleteFunc(hist, func(e registry.AliasEvent) bool { return !e.Concerns(n) })
	d := versionDetail{versionInfo: versionInfo{Version: versions[i], Aliases: aliasesOf(aliases, n)}, History: hist}
	if mr.json {
		return mr.encode(d)
	}
	printVersion(mr.w, d)
	return nil
}

// model reads a model's versions and aliases; an unknown model is an error
// naming the ones that exist.
func (mr modelReader) model(ctx context.Context, name string) ([]registry.Version, map[string]int, error) {
	versions, err := mr.reg.List(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if len(versions) == 0 {
		names, err := mr.reg.Models(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(names) == 0 {
			return nil, nil, fmt.Errorf("no model %q: the registry in %s is empty (set MLPIPE_ARTIFACTS to where your pipelines write)", name, mr.location)
		}
		return nil, nil, fmt.Errorf("no model %q in %s: models are %s", name, mr.location, strings.Join(names, ", "))
	}
	aliases, err := mr.reg.Aliases(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return versions, aliases, nil
}

func (mr modelReader) encode(v any) error {
	enc := json.NewEncoder(mr.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printVersion(w io.Writer, d versionDetail) {
	v := d.Version
	fmt.Fprintf(w, "%s version %d", v.Name, v.Version)
	if len(d.Aliases) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(d.Aliases, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  created\t%s\n", v.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "  model\t%s\n", v.ModelURI)
	fmt.Fprintf(tw, "  sha256\t%s\n", orDashS(v.Model.SHA256))
	fmt.Fprintf(tw, "  data digest\t%s\n", orDashS(v.DataDigest))
	fmt.Fprintf(tw, "  workflow\t%s\n", orDashS(v.WorkflowID))
	fmt.Fprintf(tw, "  report\t%s\n", orDashS(v.ReportURI))
	if a := v.Approval; a != nil {
		line := fmt.Sprintf("%s by %s at %s", a.Decision, a.Approver, a.At.Format(time.RFC3339))
		if a.Comment != "" {
			line += " " + quoteComment(a.Comment)
		}
		fmt.Fprintf(tw, "  approval\t%s\n", line)
	} else {
		fmt.Fprintf(tw, "  approval\t-\n")
	}
	_ = tw.Flush()
	if len(v.Metrics) > 0 {
		fmt.Fprintln(w, "  metrics:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range sortedKeys(v.Metrics) {
			fmt.Fprintf(tw, "    %s\t%.4f\n", k, v.Metrics[k])
		}
		_ = tw.Flush()
	}
	if len(v.Params) > 0 {
		fmt.Fprintln(w, "  params:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range sortedKeys(v.Params) {
			fmt.Fprintf(tw, "    %s\t%s\n", k, paramString(v.Params[k]))
		}
		_ = tw.Flush()
	}
	if len(d.History) > 0 {
		fmt.Fprintln(w, "  alias history:")
		for _, e := range d.History {
			fmt.Fprintf(w, "    %s\n", historyLine(e))
		}
	}
}

// historyLine describes one alias change: what was done, by whom, and how
// each alias moved, e.g.
// "#3 2025-04-01T08:00:00Z promote 4 by alice (workflow churn-4): production 1→4, previous -→1, candidate 4→-".
func historyLine(e registry.AliasEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s", e.Seq, e.At.Format(time.RFC3339), e.Action)
	if e.Alias != "" {
		fmt.Fprintf(&b, " %s", e.Alias)
	}
	if e.Version != 0 {
		fmt.Fprintf(&b, " %d", e.Version)
	}
	if e.Actor != "" {
		fmt.Fprintf(&b, " by %s", e.Actor)
	}
	if e.WorkflowID != "" {
		fmt.Fprintf(&b, " (workflow %s)", e.WorkflowID)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " %q", e.Reason)
	}
	var moves []string
	for _, a := range aliasOrder(e.Before, e.Aliases) {
		if e.Before[a] != e.Aliases[a] {
			moves = append(moves, fmt.Sprintf("%s %s→%s", a, orDash(e.Before[a]), orDash(e.Aliases[a])))
		}
	}
	if len(moves) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(moves, ", "))
	}
	return b.String()
}

// aliasOrder lists the aliases in either map: production, candidate and
// previous first, then the rest by name.
func aliasOrder(maps ...map[string]int) []string {
	seen := map[string]bool{}
	var rest []string
	for _, m := range maps {
		for a := range m {
			if !seen[a] {
				seen[a] = true
				rest = append(rest, a)
			}
		}
	}
	slices.SortFunc(rest, func(x, y string) int {
		if rx, ry := aliasRank(x), aliasRank(y); rx != ry {
			return rx - ry
		}
		return strings.Compare(x, y)
	})
	return rest
}

func aliasRank(a string) int {
	switch a {
	case registry.AliasProduction:
		return 0
	case registry.AliasCandidate:
		return 1
	case registry.AliasPrevious:
		return 2
	}
	return 3
}

// aliasesOf lists the aliases pointing at version, in aliasOrder.
func aliasesOf(aliases map[string]int, version int) []string {
	out := []string{}
	for _, a := range aliasOrder(aliases) {
		if aliases[a] == version {
			out = append(out, a)
		}
	}
	return out
}

func aliasList(aliases map[string]int) string {
	if len(aliases) == 0 {
		return "none set"
	}
	var parts []string
	for _, a := range aliasOrder(aliases) {
		parts = append(parts, fmt.Sprintf("%s=%d", a, aliases[a]))
	}
	return strings.Join(parts, ", ")
}

func versionList(versions []registry.Version) string {
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = strconv.Itoa(v.Version)
	}
	return strings.Join(parts, ", ")
}

func paramString(p any) string {
	if s, ok := p.(string); ok {
		return s
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprint(p)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
