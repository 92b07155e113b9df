package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/workflows"
)

func resultText(r workflows.PipelineResult) string {
	var buf bytes.Buffer
	printResult(&buf, r)
	return buf.String()
}

func TestStatusHeadlinesTheModelsOwnF1(t *testing.T) {
	binary := workflows.PipelineResult{Outcome: workflows.OutcomeDeployed, Model: "churn-classifier", Version: 2,
		Metrics: map[string]float64{"f1": 0.84, "f1_macro": 0.88, "accuracy": 0.9, "roc_auc": 0.93}}
	assert.Equal(t, "result: deployed: churn-classifier version 2 is in production\n"+
		"  test f1 0.8400, accuracy 0.9000, roc_auc 0.9300\n", resultText(binary))

	// Three classes have no binary f1 or roc_auc: the line reads the
	// macro F1 and the one-vs-rest AUC instead of printing nothing.
	multi := workflows.PipelineResult{Outcome: workflows.OutcomeGateFailed, Model: "plan-classifier",
		Metrics: map[string]float64{"f1_macro": 0.71, "f1_weighted": 0.73, "accuracy": 0.74, "roc_auc_ovr": 0.88}}
	assert.Equal(t, "result: rejected_by_gate\n"+
		"  test f1_macro 0.7100, accuracy 0.7400, roc_auc_ovr 0.8800\n", resultText(multi))

	assert.Equal(t, "result: failed\n", resultText(workflows.PipelineResult{Outcome: workflows.StateFailed}))

	// A test split missing a class leaves roc_auc_ovr undefined: n/a,
	// not a zero that reads as the worst possible model.
	delete(multi.Metrics, "roc_auc_ovr")
	assert.Equal(t, "result: rejected_by_gate\n"+
		"  test f1_macro 0.7100, accuracy 0.7400, roc_auc_ovr n/a\n", resultText(multi))
}

func TestUsageNamesBothExampleGenerators(t *testing.T) {
	var buf bytes.Buffer
	code := (&Main{Stdout: &buf, Stderr: &buf}).Run(context.Background(), []string{"help"})
	assert.Equal(t, exitOK, code)
	assert.Contains(t, buf.String(), "mlpipe gen churn|plans --rows N --seed S")
}
