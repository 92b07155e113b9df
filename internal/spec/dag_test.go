package spec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestPlanOrdersByDependencyKeepingSpecOrder(t *testing.T) {
	p := minimal()
	// Listed backwards, with a second validation stage (extra_checks) that
	// is independent of data_validation and listed after it.
	extra := spec.Stage{Name: "extra_checks", Kind: spec.KindValidation,
		Inputs: []string{"raw_dataset"}, Outputs: []string{"checked_dataset"}}
	s := p.Stages
	p.Stages = spec.Stages{s[5], s[4], s[3], s[2], s[1], extra, s[0]}

	g, err := p.Plan()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"data_ingestion", "data_validation", "extra_checks", "feature_engineering",
		"model_training", "model_evaluation", "model_deployment",
	}, names(g.Order))

	// Swapping the independent pair in the spec swaps them in the plan.
	p.Stages[4], p.Stages[5] = p.Stages[5], p.Stages[4]
	g, err = p.Plan()
	require.NoError(t, err)
	assert.Equal(t, []string{"extra_checks", "data_validation"}, names(g.Order[1:3]))
}

func TestGraphDepsAndProducers(t *testing.T) {
	p := minimal()
	g, err := p.Plan()
	require.NoError(t, err)

	dep, _ := p.Stages.ByName("model_deployment")
	assert.Equal(t, []string{"model_training", "model_evaluation"}, g.Deps(dep))
	// test_dataset is external (the feature stage's held-out split), so
	// evaluation waits only for training.
	ev, _ := p.Stages.ByName("model_evaluation")
	assert.Equal(t, []string{"model_training"}, g.Deps(ev))
	ing, _ := p.Stages.ByName("data_ingestion")
	assert.Empty(t, g.Deps(ing))

	assert.Equal(t, spec.Producer{Kind: spec.KindSource}, g.Producers["raw_data_source"])
	assert.Equal(t, spec.Producer{Kind: spec.KindSource}, g.Producers["test_dataset"])
	assert.Equal(t, spec.Producer{Stage: "model_training", Kind: spec.KindTraining}, g.Producers["trained_model"])
}

func TestPlanRefusesCycle(t *testing.T) {
	p := minimal()
	// validation -> features -> training -> validation.
	p.Stages[1].Inputs = []string{"raw_dataset", "trained_model"}
	_, err := p.Plan()
	require.Error(t, err)
	assert.EqualError(t, err, "invalid pipeline spec: stages form a cycle: "+
		"data_validation -> feature_engineering -> model_training -> data_validation; "+
		"a stage cannot depend on its own output")
}

func TestPlanRefusesDanglingInput(t *testing.T) {
	p := minimal()
	p.Stages[3].Inputs = []string{"feature_stor"}
	_, err := p.Plan()
	require.Error(t, err)
	assert.EqualError(t, err, "invalid pipeline spec: stage model_training: input feature_stor is produced by no stage "+
		"and is not an external source (raw_data_source, test_dataset); fix the name or add the stage that outputs it")
}

func TestPlanRefusesRawSourceWithoutDataSource(t *testing.T) {
	p := minimal()
	p.Data.Source = ""
	_, err := p.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage data_ingestion: input raw_data_source needs data.source")
}

func TestPlanRefusesUnknownKind(t *testing.T) {
	p := minimal()
	p.Stages[2].Name = "feature_engineer"
	p.Stages[3].Inputs = []string{"feature_store"}
	_, err := p.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stage feature_engineer: unknown stage kind "feature_engineer"; name the stage after one of `+
		"data_ingestion, data_validation, feature_engineering, model_training, model_evaluation, model_deployment or set `kind:` to one")
}

func TestPlanAcceptsKindDifferentFromName(t *testing.T) {
	p := minimal()
	p.Stages[2].Name, p.Stages[2].Kind = "features", spec.KindFeatures
	_, err := p.Plan()
	assert.NoError(t, err)
}

func TestPlanRefusesDuplicateOutput(t *testing.T) {
	p := minimal()
	p.Stages[1].Outputs = []string{"raw_dataset"}
	p.Stages[2].Inputs = []string{"raw_dataset"}
	_, err := p.Plan()
	require.Error(t, err)
	assert.EqualError(t, err, "invalid pipeline spec: output raw_dataset is produced by both stage data_ingestion "+
		"and stage data_validation; rename one")
}

func TestPlanRefusesStageMissingAnInputKind(t *testing.T) {
	p := minimal()
	p.Stages[5].Inputs = []string{"trained_model"}
	_, err := p.Plan()
	require.Error(t, err)
	assert.EqualError(t, err, "invalid pipeline spec: stage model_deployment (model_deployment): needs an evaluation report "+
		"(the output of model_evaluation) among its inputs [trained_model]")

	p = minimal()
	p.Stages[3].Inputs = []string{"validated_dataset"}
	_, err = p.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage model_training (model_training): needs a feature set (the output of feature_engineering)")
}

func TestPlanListsEveryProblem(t *testing.T) {
	p := minimal()
	p.Stages[1].Outputs = []string{"raw_dataset"} // duplicate output
	p.Stages[2].Inputs = []string{"validated"}    // dangling input
	p.Stages = append(p.Stages, stage("model_monitoring", []string{"deployed_model"}, []string{"alerts"}))
	_, err := p.Plan()
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "invalid pipeline spec: stages: 3 problems:")
	assert.Contains(t, msg, "\n  - output raw_dataset is produced by both stage data_ingestion and stage data_validation")
	assert.Contains(t, msg, "\n  - stage model_monitoring: unknown stage kind \"model_monitoring\"")
	assert.Contains(t, msg, "\n  - stage feature_engineering: input validated is produced by no stage")
}

func TestPlanRefusesEmptyAndDuplicateStages(t *testing.T) {
	p := minimal()
	p.Stages = nil
	_, err := p.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stages: the spec has no stages")

	p = minimal()
	p.Stages = append(p.Stages, stage("data_ingestion", []string{"raw_data_source"}, []string{"raw_copy"}))
	_, err = p.Plan()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stage data_ingestion is listed twice")
}
