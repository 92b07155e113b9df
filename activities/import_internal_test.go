package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
)

// An imported version that does not fit the pipeline's feature set is
// refused naming the first thing that differs: the target, the classes,
// a feature missing on either side, or features out of order.
func TestImportNamesWhatDiffersFromTheFeatureSet(t *testing.T) {
	set := &features.Transform{Target: "churned", Labels: [2]string{"no", "yes"}, Outputs: []string{"age", "plan=basic", "plan=pro"}}
	version := func(edit func(*bundle.Bundle)) *bundle.Bundle {
		tr := *set
		tr.Outputs = append([]string(nil), set.Outputs...)
		b := &bundle.Bundle{Labels: tr.Labels, Transform: &tr}
		if edit != nil {
			edit(b)
		}
		return b
	}
	cases := []struct {
		name string
		edit func(*bundle.Bundle)
		want string
	}{
		{"the same", nil, ""},
		{"target", func(b *bundle.Bundle) { b.Transform.Target = "cancelled" },
			`the version predicts "cancelled" but the pipeline's target is "churned"`},
		{"positive label", func(b *bundle.Bundle) { b.Labels = [2]string{"stays", "churns"} },
			"the version's classes are stays, churns but the feature set's are no, yes, in model order"},
		{"a feature the version lacks", func(b *bundle.Bundle) { b.Transform.Outputs = []string{"age", "plan=basic"} },
			`the feature set has feature "plan=pro", which the version does not take (the version takes 2 features: age, plan=basic)`},
		{"a feature the set lacks", func(b *bundle.Bundle) { b.Transform.Outputs = append(b.Transform.Outputs, "tenure") },
			`the version takes feature "tenure", which the feature set does not have (it has 3: age, plan=basic, plan=pro)`},
		{"order", func(b *bundle.Bundle) { b.Transform.Outputs = []string{"plan=basic", "age", "plan=pro"} },
			`feature 1 is "plan=basic" in the version but "age" in the feature set: the version takes them in another order`},
		{"a feature twice", func(b *bundle.Bundle) { b.Transform.Outputs = append(b.Transform.Outputs, "age") },
			"the version takes 4 features but the feature set has 3 (age, plan=basic, plan=pro)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, transformMismatch(version(c.edit), set))
		})
	}
}

// A transform fitted on other data encodes rows differently even with the
// same outputs; the test split is then encoded through the version's own.
func TestImportTellsARefittedTransform(t *testing.T) {
	a := &features.Transform{Target: "churned", Columns: []features.FittedColumn{{Column: "age", Offset: 40, Divisor: 12, Outputs: []string{"age"}}}, Outputs: []string{"age"}}
	b := *a
	b.Columns = []features.FittedColumn{{Column: "age", Offset: 41, Divisor: 12, Outputs: []string{"age"}}}
	assert.True(t, sameTransform(a, a))
	assert.False(t, sameTransform(a, &b))
}
