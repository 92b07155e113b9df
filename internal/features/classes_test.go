package features

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const plans = "x,plan\n" +
	"1,premium\n2,basic\n3,standard\n4,basic\n5,premium\n6,standard\n"

func TestMultiClassTargetFoundInTheDataSorted(t *testing.T) {
	f := readCSV(t, plans)
	tr, err := Fit(f, Spec{Target: "plan", NumClasses: 3, Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	assert.True(t, tr.MultiClass())
	assert.Equal(t, []string{"basic", "premium", "standard"}, tr.ClassList(), "sorted, so the same data always gives the same order")
	_, y, err := tr.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 0, 2, 0, 1, 2}, y, "class indices in ClassList order")

	// The transform keeps its classes through JSON, as the bundle stores it.
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	var back Transform
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, tr.ClassList(), back.ClassList())
}

func TestMultiClassListedClassesKeepTheirOrder(t *testing.T) {
	f := readCSV(t, plans)
	tr, err := Fit(f, Spec{Target: "plan", Classes: []string{"standard", "basic", "premium"}, Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"standard", "basic", "premium"}, tr.ClassList())
	_, y, err := tr.Apply(f)
	require.NoError(t, err)
	assert.Equal(t, []float64{2, 1, 0, 1, 2, 0}, y)
}

func TestNumericMultiClassTargetSortsNumerically(t *testing.T) {
	f := readCSV(t, "x,y\n1,10\n2,2\n3,1\n4,10\n")
	tr, err := Fit(f, Spec{Target: "y", NumClasses: 3, Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "10"}, tr.ClassList())

	// "2.0" in a spec names the value the file writes as 2.
	tr, err = Fit(f, Spec{Target: "y", Classes: []string{"10", "2.0", "1"}, Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"10", "2", "1"}, tr.ClassList())
}

func TestMultiClassTargetErrorsSayWhatToFix(t *testing.T) {
	f := readCSV(t, plans)
	cols := []ColumnSpec{{Column: "x"}}

	err := Spec{Target: "plan", NumClasses: 4, Columns: cols}.Validate(f)
	assert.ErrorContains(t, err, `target "plan" has 3 classes (basic, premium, standard) but hyperparameters.classes is 4; set it to 3, or list data.classes`)

	err = Spec{Target: "plan", Classes: []string{"basic", "premium", "gold"}, Columns: cols}.Validate(f)
	assert.ErrorContains(t, err, `target "plan" has the value "standard", which classes does not list (basic, premium, gold); add it to data.classes or drop those rows`)

	err = Spec{Target: "plan", Classes: []string{"basic", "premium", "standard", "gold"}, Columns: cols}.Validate(f)
	assert.ErrorContains(t, err, `class "gold" (classes[3]) has no rows in target "plan"`)

	// A binary spec on a 3-class target still says so.
	err = Spec{Target: "plan", Positive: "basic", Columns: cols}.Validate(f)
	assert.ErrorContains(t, err, "must have exactly 2 classes for binary classification, found 3 (basic, premium, standard); for a multi-class model list them in data.classes (or set hyperparameters.classes: 3) and remove data.positive")

	// Two listed classes are a binary target's [negative, positive]; a
	// value they miss is refused, not counted as the negative class.
	err = Spec{Target: "plan", Positive: "premium", Classes: []string{"basic", "premium"}, Columns: cols}.Validate(f)
	assert.ErrorContains(t, err, `has the value "standard", which classes does not list (basic, premium)`)
}

func TestMultiClassApplyRefusesAClassTheModelDoesNotKnow(t *testing.T) {
	tr, err := Fit(readCSV(t, plans), Spec{Target: "plan", NumClasses: 3, Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	_, _, err = tr.Apply(readCSV(t, "x,plan\n1,basic\n2,gold\n"))
	assert.ErrorContains(t, err, `row 2: target "plan" is "gold", which is not one of the model's classes (basic, premium, standard)`)

	// Without the target (serving rows) the class is not needed.
	X, y, err := tr.Apply(readCSV(t, "x\n1\n"))
	require.NoError(t, err)
	assert.Nil(t, y)
	assert.Len(t, X, 1)
}

func TestStratifiedSplitKeepsEveryClassInBothParts(t *testing.T) {
	f := readCSV(t, plans+plans[len("x,plan\n"):])
	s := Spec{Target: "plan", NumClasses: 3, Columns: []ColumnSpec{{Column: "x"}}, Split: SplitSpec{TestSize: 0.25, Seed: 3}}
	train, test, err := Split(f, s)
	require.NoError(t, err)
	tc, _ := f.Col("plan")
	for _, part := range [][]int{train, test} {
		seen := map[string]bool{}
		for _, i := range part {
			seen[tc.Format(i)] = true
		}
		assert.Len(t, seen, 3)
	}
}

func TestBinaryTransformClassListIsNegativeThenPositive(t *testing.T) {
	tr, err := Fit(readCSV(t, small), Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{{Column: "age"}}})
	require.NoError(t, err)
	assert.False(t, tr.MultiClass())
	assert.Equal(t, []string{"no", "yes"}, tr.ClassList())
	assert.Empty(t, tr.Classes, "a binary transform's JSON is unchanged")
}
