package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// plansFeatureSet ingests generated plan data and engineers its three-class
// feature set.
func plansFeatureSet(t *testing.T, acts *activities.Activities, rows int) activities.FeatureSet {
	t.Helper()
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
		Pipeline: "plans", Source: writeFile(t, "plans.csv", plansCSV(t, rows, 3)), Target: "plan"})
	require.NoError(t, err)
	return engineer(t, acts, res.Dataset, planFeatures())
}

// A trial of a three-class model is scored with the multi-class metric on
// its held-out fold: the model trained on the other folds, each row
// predicted as its most probable class.
func TestTrainTrialScoresAMultiClassFold(t *testing.T) {
	acts, _ := newActs(t)
	fs := plansFeatureSet(t, acts, 900)
	in := activities.TrainTrialInput{Train: fs.Train, TrialID: 2, Config: planConfig(10), Fold: 1, Folds: 3, CVSeed: 4, Scoring: "f1_macro"}
	r, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	require.NoError(t, err)
	require.Equal(t, tune.StatusOK, r.Status, r.Reason)
	assert.Equal(t, 10, r.Epochs)

	// The same fold, trained and scored by hand.
	m := readMatrix(t, fs.Train)
	folds, err := tune.StratifiedKFold(m.Y, 3, 4)
	require.NoError(t, err)
	pick := func(idx []int) (X, y []float64) {
		for _, i := range idx {
			X = append(X, m.X[i*m.Cols():(i+1)*m.Cols()]...)
			y = append(y, m.Y[i])
		}
		return X, y
	}
	trainX, trainY := pick(tune.TrainRows(len(m.Y), folds[1]))
	valX, valY := pick(folds[1])
	fit, err := model.Train(context.Background(), trainX, trainY, m.Cols(), planConfig(10), nil, nil)
	require.NoError(t, err)
	proba, err := fit.PredictClassProba(valX, m.Cols())
	require.NoError(t, err)
	rep, err := metrics.MultiClass(valY, proba, fs.Classes)
	require.NoError(t, err)
	assert.InDelta(t, rep.F1Macro, r.Score, 1e-9)
	assert.Greater(t, r.Score, 0.4, "better than guessing among three plans")

	for _, scoring := range []string{"accuracy", "roc_auc_ovr", "log_loss"} {
		in.Scoring = scoring
		r, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
		require.NoError(t, err)
		require.Equal(t, tune.StatusOK, r.Status, r.Reason)
		want, _ := rep.Get(scoring)
		assert.InDelta(t, want, r.Score, 1e-9, scoring)
	}
}

func TestTrainTrialRefusesAScoringOrClassesThatDoNotFitTheModel(t *testing.T) {
	acts, _ := newActs(t)
	fs := plansFeatureSet(t, acts, 300)
	in := activities.TrainTrialInput{Train: fs.Train, Config: planConfig(2), Folds: 3, CVSeed: 4, Scoring: "f1"}
	_, err := execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "search.scoring: f1 is a binary metric and this model has 3 classes; use f1_macro")

	in.Scoring, in.Config.Classes = "roc_auc_ovr", 0
	_, err = execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	ae = appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "search.scoring: roc_auc_ovr is a multi-class metric and this model is binary")

	in.Scoring = "f1"
	_, err = execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	ae = appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "but the model is binary (labels 0 and 1); for three or more classes set hyperparameters.classes")

	// Four classes on three plans would train a fourth output no row
	// has and score it: refused, naming the class missing.
	in.Scoring, in.Config.Classes = "f1_macro", 4
	_, err = execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	ae = appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "search: hyperparameters.classes is 4 but the training matrix has no rows of class 3 (labels 0..3); make classes match the feature set's")

	in.Config.Classes = 2
	_, err = execute[activities.TrainTrialResult](t, acts, acts.TrainTrial, in)
	ae = appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "search: training label at row", "classes 2 is a binary model")
}

// model.CheckLabels names the first label a model cannot learn, with the
// row and value the search's message repeats.
func TestCheckLabelsNamesTheFirstBadLabel(t *testing.T) {
	cases := []struct {
		name    string
		y       []float64
		classes int
		row     int
		value   float64
		msg     string
	}{
		{"binary", []float64{0, 1, 2}, 0, 2, 2, "label at row 2 is 2; labels must be 0 or 1"},
		{"two classes are binary", []float64{1, 0.5}, 2, 1, 0.5, "label at row 1 is 0.5; labels must be 0 or 1"},
		{"fraction", []float64{0, 2, 1.5}, 3, 2, 1.5, "label at row 2 is 1.5; labels must be class indices 0..2 (classes is 3)"},
		{"negative", []float64{-1}, 4, 0, -1, "label at row 0 is -1; labels must be class indices 0..3 (classes is 4)"},
		{"too high", []float64{0, 3}, 3, 1, 3, "label at row 1 is 3; labels must be class indices 0..2 (classes is 3)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := model.CheckLabels(tc.y, tc.classes)
			var le *model.LabelError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, model.LabelError{Row: tc.row, Value: tc.value, Classes: tc.classes}, *le)
			assert.EqualError(t, err, tc.msg)
		})
	}
	require.NoError(t, model.CheckLabels([]float64{0, 1, 1}, 0))
	require.NoError(t, model.CheckLabels([]float64{2, 0}, 3), "which classes appear is the caller's rule")
	require.NoError(t, model.CheckLabels(nil, 3))
}

// A training whose class count disagrees with the feature set's fails at
// once and for good, saying what to set, instead of being retried.
func TestTrainModelRefusesClassesThatDisagreeWithTheFeatureSet(t *testing.T) {
	acts, _ := newActs(t)
	plans := plansFeatureSet(t, acts, 300)
	run := func(fs activities.FeatureSet, classes int) error {
		cfg := planConfig(2)
		cfg.Classes = classes
		_, err := execute[activities.TrainModelResult](t, acts, acts.TrainModel, activities.TrainModelInput{
			Pipeline: "plans", Model: "plan-classifier", WorkflowID: "wf", Features: fs, Config: cfg})
		return err
	}
	ae := appError(t, run(plans, 0), activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "hyperparameters.classes is not set (a binary model) but feature set "+plans.Version+" has 3 classes (basic, plus, premium); set hyperparameters.classes: 3")
	ae = appError(t, run(plans, 4), activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "hyperparameters.classes is 4 but feature set "+plans.Version+" has 3 classes (basic, plus, premium); set hyperparameters.classes: 3 or remove it and list data.classes")
	require.NoError(t, run(plans, 3))

	churn := engineer(t, acts, ingest(t, acts, 300), churnFeatures())
	ae = appError(t, run(churn, 3), activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "hyperparameters.classes is 3 but feature set "+churn.Version+" is binary (no, yes); remove hyperparameters.classes")
}
