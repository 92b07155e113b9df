package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// withSpec stores the resolved spec a version was trained from (content
// addressed, so a retried attempt writes the same object) and records it
// on the version, with the alert that started the run when one did. A
// retraining for an alert runs that spec again.
func (a *Activities) withSpec(ctx context.Context, v registry.Version, p *spec.Pipeline, workflowID string) (registry.Version, error) {
	if p == nil {
		return v, nil
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return v, fmt.Errorf("record the spec: %w", err)
	}
	ref, err := artifact.PutBytes(ctx, a.Store, fmt.Sprintf("specs/%s/%s.json", v.Name, digestJSON(p)[:16]), b, "application/json")
	if err != nil {
		return v, fmt.Errorf("record the spec: %w", err)
	}
	v.Spec = &ref
	if t := p.Trigger; t != nil {
		v.Trigger = &registry.Trigger{Alert: t.Alert, Incident: t.Incident, FiredAt: t.FiredAt, Pipeline: workflowID}
	}
	return v, nil
}
