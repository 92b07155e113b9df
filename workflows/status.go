package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

func (p *pipeline) stage(name string) *StageStatus {
	for i := range p.status.Stages {
		if p.status.Stages[i].Name == name {
			return &p.status.Stages[i]
		}
	}
	return &StageStatus{}
}

// setState moves a stage to a state, stamping start and end times.
func (p *pipeline) setState(ctx workflow.Context, name, state, msg string) {
	s := p.stage(name)
	now := workflow.Now(ctx)
	switch state {
	case StateRunning:
		if s.StartedAt == nil {
			s.StartedAt = &now
		}
	case StateSucceeded, StateFailed, StateRejected, StateSkipped:
		s.EndedAt = &now
	}
	s.State, s.Message = state, msg
	p.publish(ctx)
}

// finish records what a stage's activity returned.
func (p *pipeline) finish(name string, attempt int32, refs []artifact.Ref, m map[string]float64, msg string) {
	s := p.stage(name)
	s.Attempts, s.Artifacts, s.Metrics, s.Message = attempt, refs, m, msg
}

// publish refreshes the Web UI's current details: a table of stages.
func (p *pipeline) publish(ctx workflow.Context) {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**%s** → model `%s`: **%s**\n\n| stage | state | detail |\n|---|---|---|\n", p.in.Name, p.in.Model, p.status.State))
	for _, s := range p.status.Stages {
		b.WriteString(fmt.Sprintf("| %s | %s | %s |\n", s.Name, s.State, strings.ReplaceAll(s.Message, "|", "/")))
	}
	if p.status.Gate.Open {
		b.WriteString(fmt.Sprintf("\nApprove with `temporal workflow signal -w %s --name %s -i '{\"approver\":\"NAME\"}'`\n", p.id, SignalApprove))
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// upsertStage shows the current stage as a search attribute, so pipelines
// can be listed by model and by where they are.
func (p *pipeline) upsertStage(ctx workflow.Context, stage string) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, AttrModelName.ValueSet(p.in.Model), AttrStage.ValueSet(stage)); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}
