package tune

import (
	"fmt"
	"slices"
	"strings"
)

// Table renders results as a Markdown table, one row per result in the
// order given (pass Rank's output for a leaderboard): trial ID, one column
// per parameter (in order of first appearance), mean ± std of the fold
// scores, epochs trained, time and status. A failed trial shows its reason
// and no score; a null parameter value shows as "default".
func Table(results []TrialResult) string {
	var names []string
	for _, r := range results {
		for _, p := range r.Params {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	var b strings.Builder
	b.WriteString("| trial |")
	for _, n := range names {
		b.WriteString(" " + n + " |")
	}
	b.WriteString(" score (mean ± std) | epochs trained | time | status |\n|---:|")
	for range names {
		b.WriteString("---|")
	}
	b.WriteString("---|---:|---:|---|\n")
	for _, r := range results {
		b.WriteString(fmt.Sprintf("| %d |", r.TrialID))
		for _, n := range names {
			b.WriteString(" " + cell(paramCell(r.Params, n)) + " |")
		}
		score := "—"
		if r.Status != StatusFailed {
			score = fmt.Sprintf("%.4f ± %.4f", r.Mean, r.Std)
		}
		status := r.Status
		if r.Reason != "" {
			status += ": " + r.Reason
		}
		b.WriteString(fmt.Sprintf(" %s | %d | %.1fs | %s |\n", score, r.Epochs, r.Seconds, cell(status)))
	}
	return b.String()
}

func paramCell(params []ParamValue, name string) string {
	for _, p := range params {
		if p.Name == name {
			return valueText(p.Value)
		}
	}
	return ""
}

// cell keeps text inside one Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
