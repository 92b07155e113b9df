package activities

import (
	"context"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// The pipeline's decisions that run library code (checking the spec,
// planning its DAG, judging the gate) are local activities: their results
// are recorded in the history, so a later change to that code cannot change
// what a running pipeline replays. They are pure and quick.

// PlanPipelineInput is a spec to check and plan. Strict runs every check of
// spec.Validate; pipelines started before those checks existed run the
// ones spec.ValidateAsRecorded keeps.
type PlanPipelineInput struct {
	Spec   spec.Pipeline `json:"spec"`
	Strict bool          `json:"strict"`
}

// PipelinePlan is a checked spec, with the defaults its checks fill in,
// its DAG and the source columns it names. Problem, when set, is why the
// spec is refused, and nothing else is set.
type PipelinePlan struct {
	Problem string          `json:"problem,omitempty"`
	Spec    *spec.Pipeline  `json:"spec,omitempty"`
	Graph   spec.Graph      `json:"graph"`
	Columns spec.ColumnRefs `json:"columns,omitempty"`
}

// PlanPipeline checks a spec and orders its stages. A refused spec is a
// result, not an error: retrying cannot change it.
func PlanPipeline(_ context.Context, in PlanPipelineInput) (PipelinePlan, error) {
	p := in.Spec
	validate := p.ValidateAsRecorded
	if in.Strict {
		validate = p.Validate
	}
	if err := validate(); err != nil {
		return PipelinePlan{Problem: err.Error()}, nil
	}
	g, err := p.Plan()
	if err != nil {
		return PipelinePlan{Problem: err.Error()}, nil
	}
	return PipelinePlan{Spec: &p, Graph: g, Columns: p.Columns()}, nil
}

// CheckGateInput is an evaluation's scores (and production's, when there
// is a production version) to judge against the spec's gate rules.
type CheckGateInput struct {
	Spec      spec.Pipeline `json:"spec"`
	Candidate spec.Scores   `json:"candidate"`
	Champion  *spec.Scores  `json:"champion,omitempty"`
}

// CheckGate judges the gate's rules.
func CheckGate(_ context.Context, in CheckGateInput) ([]spec.Threshold, error) {
	return in.Spec.CheckGate(in.Candidate, in.Champion), nil
}
