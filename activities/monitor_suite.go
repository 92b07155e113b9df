package activities

import (
	"context"
	"fmt"

	"github.com/mlpipe/mlpipe/internal/monitor"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// readSuite is the expectation suite of the spec the production version
// was trained from (Version.Spec), which the monitor runs on each window;
// nil for a version that recorded no spec. An unreadable spec is a
// warning in the snapshot, not a failed window.
func readSuite(ctx context.Context, v registry.Version) (*monitor.Suite, string) {
	if v.Spec == nil {
		return nil, ""
	}
	var p spec.Pipeline
	if err := readJSON(ctx, *v.Spec, &p); err != nil {
		return nil, fmt.Sprintf("the spec of %s version %d is unreadable, so its expectation suite was not run: %v", v.Name, v.Version, err)
	}
	return &monitor.Suite{Expectations: p.Expectations, Checks: p.Validation, Source: v.Spec.URI}, ""
}
