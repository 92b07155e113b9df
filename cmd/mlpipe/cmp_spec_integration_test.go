package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// deployment.continue_as_new_at reaches the workflow input `mlpipe spec`
// prints; a value out of range, a written 0 or a misspelt key is refused by
// `mlpipe spec` and `mlpipe run` before any work, saying what to write.
func TestCmpSpecContinueAsNewAt(t *testing.T) {
	after := "  failure_limit: 2"
	path := specExample(t, specPipeline(after, after+"\n  continue_as_new_at: 400"))
	input := filepath.Join(t.TempDir(), "churn.json")
	out, code := specRun("spec", "-f", path, "-o", input)
	require.Equal(t, exitOK, code, out)
	b, err := os.ReadFile(input)
	require.NoError(t, err)
	var p spec.Pipeline
	require.NoError(t, json.Unmarshal(b, &p))
	assert.Equal(t, 400, p.Deployment.ContinueAsNewAt)

	line := specLine(t, "pipeline.yaml", after) + 1
	cases := []struct {
		name string
		edit specEdit
		sets []string
		want string
	}{
		{name: "below the range", edit: specPipeline(after, after+"\n  continue_as_new_at: 50"),
			want: "deployment.continue_as_new_at 50 is outside 100 to 10000 events: it is the history length at which a rollout hands over to a new run (leave it out for the default 2000)"},
		{name: "above the range, by --set", sets: []string{"deployment.continue_as_new_at=20000"},
			want: "deployment.continue_as_new_at 20000 is outside 100 to 10000 events"},
		{name: "0 written out", edit: specPipeline(after, after+"\n  continue_as_new_at: 0"),
			want: "deployment.continue_as_new_at is 0; give the history length (100 to 10000 events) at which a rollout hands over to a new run, or leave continue_as_new_at out for the default 2000"},
		{name: "misspelt", edit: specPipeline(after, after+"\n  continue_as_new: 500"),
			want: fmt.Sprintf(`line %d: unknown key "deployment.continue_as_new" (did you mean "continue_as_new_at"?)`, line)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var edits []specEdit
			if c.edit.file != "" {
				edits = append(edits, c.edit)
			}
			path := specExample(t, edits...)
			for _, cmd := range []string{"spec", "run"} {
				args := []string{cmd, "-f", path, "-o", filepath.Join(t.TempDir(), "out.json")}
				if cmd == "run" {
					args = []string{cmd, "-f", path, "--detach"}
				}
				for _, s := range c.sets {
					args = append(args, "--set", s)
				}
				out, code := specRun(args...)
				assert.Equal(t, exitUsage, code, "%s: %s", cmd, out)
				assert.Contains(t, out, "mlpipe "+cmd+": spec "+path, cmd)
				assert.Contains(t, out, c.want, cmd)
			}
		})
	}
}
