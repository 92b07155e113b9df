package tune

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTableRendersMarkdown(t *testing.T) {
	results := []TrialResult{
		{TrialID: 4, Params: []ParamValue{{"learning_rate", 0.012345}, {"batch_size", 128.0}, {"optimizer", "adam"}},
			Mean: 0.8123, Std: 0.0101, Seconds: 12.34, Epochs: 30, Status: StatusOK},
		{TrialID: 1, Params: []ParamValue{{"learning_rate", 0.3}, {"batch_size", 64.0}, {"class_weight", nil}},
			Seconds: 0.5, Epochs: 30, Status: StatusFailed, Reason: "loss is NaN |\nat epoch 3"},
	}
	want := "| trial | learning_rate | batch_size | optimizer | class_weight | score (mean ± std) | epochs trained | time | status |\n" +
		"|---:|---|---|---|---|---|---:|---:|---|\n" +
		"| 4 | 0.01235 | 128 | adam |  | 0.8123 ± 0.0101 | 30 | 12.3s | ok |\n" +
		"| 1 | 0.3 | 64 |  | default | — | 30 | 0.5s | failed: loss is NaN \\| at epoch 3 |\n"
	assert.Equal(t, want, Table(results))
}
