package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// impFiles is an XGBoost model trained in the test and the transform it
// was trained behind, written where `models import` reads them.
type impFiles struct {
	model, transform string
	tr               *features.Transform
	X                []float64
	trees            []byte
}

// impTrain fits a transform on a small generated table (x1 numeric, plan
// one-hot) and trains XGBoost on its matrix: binary (churn yes/no) or,
// with multi, three tiers. The files go into a temporary folder.
func impTrain(t *testing.T, multi bool, cols ...string) impFiles {
	t.Helper()
	if !gbt.Available {
		t.Skip("this build has no XGBoost")
	}
	if len(cols) == 0 {
		cols = []string{"x1", "plan"}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var csv strings.Builder
	csv.WriteString("x1,plan,churn,tier\n")
	for range 300 {
		x := rng.NormFloat64()
		plan := "basic"
		if rng.IntN(2) == 1 {
			plan = "pro"
		}
		churn := "no"
		if x+rng.NormFloat64()*0.3 > 0 {
			churn = "yes"
		}
		tier := "bronze"
		switch {
		case x > 0.5:
			tier = "gold"
		case x > -0.5:
			tier = "silver"
		}
		fmt.Fprintf(&csv, "%.4f,%s,%s,%s\n", x, plan, churn, tier)
	}
	f, err := frame.ReadCSV(strings.NewReader(csv.String()), frame.ReadOptions{Source: "imp.csv"})
	require.NoError(t, err)
	spec := features.Spec{Target: "churn", Positive: "yes"}
	if multi {
		spec = features.Spec{Target: "tier", Classes: []string{"bronze", "silver", "gold"}}
	}
	for _, c := range cols {
		spec.Columns = append(spec.Columns, features.ColumnSpec{Column: c})
	}
	tr, err := features.Fit(f, spec)
	require.NoError(t, err)
	X, y, err := tr.Apply(f)
	require.NoError(t, err)
	p := gbt.DefaultParams()
	p.NEstimators, p.NThread = 5, 1
	if multi {
		p.Classes = 3
	}
	res, err := gbt.Train(context.Background(), X, y, nil, tr.NumOutputs(), p, gbt.Options{})
	require.NoError(t, err)

	dir := t.TempDir()
	out := impFiles{model: filepath.Join(dir, "model.json"), transform: filepath.Join(dir, "transform.json"), tr: tr, X: X, trees: res.Model}
	require.NoError(t, os.WriteFile(out.model, res.Model, 0o644))
	trJSON, err := json.MarshalIndent(tr, "", "  ") // as the feature stage writes transform.json
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out.transform, trJSON, 0o644))
	return out
}

// impRun runs mlpipe in-process and returns its standard output, its
// standard error and its exit code.
func impRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := (&Main{Stdout: &stdout, Stderr: &stderr}).Run(context.Background(), args)
	return stdout.String(), stderr.String(), code
}

// impArtifacts points MLPIPE_ARTIFACTS at a fresh folder and returns it.
func impArtifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("MLPIPE_ARTIFACTS", dir)
	return dir
}

// impFileCount counts the files under dir.
func impFileCount(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	return n
}

func TestImpImportsAnXGBoostModelAsTheCandidate(t *testing.T) {
	files := impTrain(t, false)
	impArtifacts(t)
	out, errOut, code := impRun(t, "models", "import", "churn", "--xgboost", files.model, "--transform", files.transform,
		"--as", "alice", "--positive", "yes", "--threshold", "0.4")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "imported "+files.model+" as churn version 1 (candidate): 5 trees, binary:logistic, 3 features, classes no, yes\n")

	sum := sha256.Sum256(files.trees)
	out, errOut, code = impRun(t, "models", "show", "churn@candidate")
	require.Equal(t, exitOK, code, errOut)
	for _, want := range []string{
		"churn version 1 (candidate)\n",
		"    imported_by       alice\n",
		"    source            xgboost import\n",
		"    xgboost_file      model.json\n",
		"    xgboost_sha256    " + hex.EncodeToString(sum[:]) + "\n",
		"    objective         binary:logistic\n",
		"set candidate 1 by alice \"imported from model.json (sha256 " + hex.EncodeToString(sum[:]) + ")\": candidate -→1\n",
	} {
		assert.Contains(t, out, want)
	}

	// Promotion is an alias move; the gateway then loads the production
	// bundle and scores raw rows with it.
	ctx := context.Background()
	reg, err := registry.Open(ctx, os.Getenv("MLPIPE_ARTIFACTS"))
	require.NoError(t, err)
	require.NoError(t, reg.Promote(ctx, "churn", 1, registry.Actor("bob")))
	prod, ok, err := reg.Alias(ctx, "churn", registry.AliasProduction)
	require.NoError(t, err)
	require.True(t, ok)
	served, err := loadBundle(ctx, prod) // the gateway's loader
	require.NoError(t, err)
	rows := []map[string]any{{"x1": -1.2, "plan": "basic"}, {"x1": 0.05, "plan": "pro"}, {"x1": 1.5, "plan": "pro"}}
	preds, err := served.Predict(rows)
	require.NoError(t, err)
	X, err := files.tr.ApplyRows(rows)
	require.NoError(t, err)
	want, err := gbt.Predict(files.trees, X, files.tr.NumOutputs())
	require.NoError(t, err)
	for i, p := range preds {
		assert.InDelta(t, want[i], p.Probability, 1e-6, "row %d: the served probability is XGBoost's", i)
		label := "no"
		if want[i] > 0.4 {
			label = "yes"
		}
		assert.Equal(t, label, p.Label, "row %d", i)
	}
}

// Importing the same files again makes a new version and leaves the
// first one loadable.
func TestImpImportsTheSameFilesTwice(t *testing.T) {
	files := impTrain(t, false)
	dir := impArtifacts(t)
	for _, who := range []string{"alice", "bob"} {
		_, errOut, code := impRun(t, "models", "import", "churn", "--xgboost", files.model, "--transform", files.transform, "--as", who)
		require.Equal(t, exitOK, code, errOut)
	}
	reg, err := registry.Open(context.Background(), dir)
	require.NoError(t, err)
	versions, err := reg.List(context.Background(), "churn")
	require.NoError(t, err)
	require.Len(t, versions, 2)
	assert.NotEqual(t, versions[0].ModelURI, versions[1].ModelURI)
	for _, v := range versions {
		_, err := loadBundle(context.Background(), v)
		assert.NoError(t, err, "version %d", v.Version)
	}
	aliases, err := reg.Aliases(context.Background(), "churn")
	require.NoError(t, err)
	assert.Equal(t, 2, aliases[registry.AliasCandidate])
}

func TestImpImportsAMultiClassModelBesideTrainedVersions(t *testing.T) {
	files := impTrain(t, true)
	dir := impArtifacts(t)
	reg, err := registry.Open(context.Background(), dir)
	require.NoError(t, err)
	_, err = reg.Register(context.Background(), registry.Version{Name: "plans",
		Model: artifact.Ref{URI: "file:///models/plans-1.json", SHA256: "sha-p", Size: 10, MediaType: "application/json"}})
	require.NoError(t, err)

	out, errOut, code := impRun(t, "models", "import", "plans", "--xgboost", files.model, "--transform", files.transform,
		"--as", "carol", "--classes", "bronze,silver,gold")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "as plans version 2 (candidate): 15 trees, multi:softprob, 3 features, classes bronze, silver, gold\n")

	out, errOut, code = impRun(t, "models", "ls", "plans")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "\n2  ")
	assert.Contains(t, out, "candidate")

	v, ok, err := reg.Alias(context.Background(), "plans", registry.AliasCandidate)
	require.NoError(t, err)
	require.True(t, ok)
	served, err := loadBundle(context.Background(), v)
	require.NoError(t, err)
	preds, err := served.Predict([]map[string]any{{"x1": 2.0, "plan": "basic"}, {"x1": -2.0, "plan": "pro"}})
	require.NoError(t, err)
	assert.Equal(t, "gold", preds[0].Label)
	assert.Equal(t, "bronze", preds[1].Label)
}

func TestImpRefusesBadInputAndWritesNothing(t *testing.T) {
	binary := impTrain(t, false)
	multi := impTrain(t, true)
	narrow := impTrain(t, false, "x1") // a transform with one output
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	withObjective := func(o string) string {
		s := strings.Replace(string(binary.trees), `"binary:logistic"`, `"`+o+`"`, 1)
		require.NotEqual(t, string(binary.trees), s)
		return write(strings.ReplaceAll(o, ":", "-")+".json", []byte(s))
	}
	notJSON := write("model.txt", []byte("booster[0]:\n0:[f0<0.5] yes=1,no=2\n"))
	ubj := write("model.ubj", []byte("{L\x00\x00\x00\x00\x00\x00\x00\x07learner{"))
	staleTransform := write("transform-v0.json", bytes.Replace(impRead(t, binary.transform), []byte(`"version": 1`), []byte(`"version": 0`), 1))

	base := func(extra ...string) []string {
		return append([]string{"models", "import", "churn", "--xgboost", binary.model, "--transform", binary.transform, "--as", "alice"}, extra...)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"not JSON", []string{"models", "import", "churn", "--xgboost", notJSON, "--transform", binary.transform, "--as", "alice"},
			"--xgboost " + notJSON + ": it is not JSON; save the model as JSON with booster.save_model(\"model.json\")"},
		{"UBJSON", []string{"models", "import", "churn", "--xgboost", ubj, "--transform", binary.transform, "--as", "alice"},
			"--xgboost " + ubj + ": it looks like XGBoost's UBJSON format; save the model as JSON"},
		{"objective binary:logitraw", []string{"models", "import", "churn", "--xgboost", withObjective("binary:logitraw"), "--transform", binary.transform, "--as", "alice"},
			"objective binary:logitraw is not supported for import; train with binary:logistic (binary) or multi:softprob (multi-class)"},
		{"regression objective", []string{"models", "import", "churn", "--xgboost", withObjective("reg:squarederror"), "--transform", binary.transform, "--as", "alice"},
			`objective "reg:squarederror" is not a classifier mlpipe serves`},
		{"feature count", []string{"models", "import", "churn", "--xgboost", binary.model, "--transform", narrow.transform, "--as", "alice"},
			"takes 3 features but the transform " + narrow.transform + " gives 1 (x1)"},
		{"multi-class model, binary transform", []string{"models", "import", "churn", "--xgboost", multi.model, "--transform", binary.transform, "--as", "alice"},
			"is multi-class (multi:softprob, 3 classes) but the transform " + binary.transform + " is binary (no, yes)"},
		{"binary model, multi-class transform", []string{"models", "import", "churn", "--xgboost", binary.model, "--transform", multi.transform, "--as", "alice"},
			"is binary (binary:logistic) but the transform " + multi.transform + " has 3 classes (bronze, silver, gold)"},
		{"model given as transform", []string{"models", "import", "churn", "--xgboost", binary.model, "--transform", binary.model, "--as", "alice"},
			"--transform " + binary.model + `: json: unknown field "learner"; give the transform.json of a feature-store version`},
		{"transform version", []string{"models", "import", "churn", "--xgboost", binary.model, "--transform", staleTransform, "--as", "alice"},
			"version 0; this mlpipe reads version 1"},
		{"model name", []string{"models", "import", "churn/v2", "--xgboost", binary.model, "--transform", binary.transform, "--as", "alice"},
			`model name "churn/v2" is invalid: use 1-128 letters, digits, '.', '_' or '-'`},
		{"missing --as", []string{"models", "import", "churn", "--xgboost", binary.model, "--transform", binary.transform},
			"--as is required: name who imports the model"},
		{"missing --xgboost", []string{"models", "import", "churn", "--transform", binary.transform, "--as", "alice"},
			"--xgboost is required"},
		{"missing file", []string{"models", "import", "churn", "--xgboost", filepath.Join(dir, "nope.json"), "--transform", binary.transform, "--as", "alice"},
			"--xgboost: open " + filepath.Join(dir, "nope.json") + ": no such file or directory"},
		{"classes", base("--classes", "yes,no"), "--classes yes,no differs from the transform's classes in model order (no,yes)"},
		{"positive", base("--positive", "churned"), `--positive "churned" differs from the transform's positive label "yes"`},
		{"threshold", base("--threshold", "1.5"), "--threshold 1.5 is out of range: use 0 < threshold < 1"},
		{"threshold on multi-class", []string{"models", "import", "plans", "--xgboost", multi.model, "--transform", multi.transform, "--as", "alice", "--threshold", "0.3"},
			"--threshold applies to a binary model"},
		{"no model name", []string{"models", "import", "--xgboost", binary.model, "--transform", binary.transform, "--as", "alice"},
			"usage: mlpipe models import MODEL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			artifacts := impArtifacts(t)
			out, errOut, code := impRun(t, c.args...)
			assert.Equal(t, exitUsage, code, "stdout %s\nstderr %s", out, errOut)
			assert.Contains(t, errOut, c.want)
			assert.True(t, strings.HasPrefix(errOut, "mlpipe models: "), errOut)
			assert.Zero(t, impFileCount(t, artifacts), "a refused import writes nothing")
		})
	}
}

func impRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return b
}

// impExampleSpec copies the churn example beside generated data and
// returns its pipeline.yaml.
func impExampleSpec(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"pipeline.yaml", "hyperparameters.yaml"} {
		b := impRead(t, filepath.Join("..", "..", "dev", "examples", "churn", f))
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	out, errOut, code := impRun(t, "gen", "churn", "--rows", "200", "--seed", "3", "-o", filepath.Join(dir, "data", "churn.csv"))
	require.Equal(t, exitOK, code, out+errOut)
	return filepath.Join(dir, "pipeline.yaml")
}

// `models evaluate` is listed by `models --help`, and refuses what cannot
// be evaluated before it starts anything, saying what to name instead.
func TestImpEvaluateIsListedAndRefusesBadInput(t *testing.T) {
	out, errOut, code := impRun(t, "models", "--help")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "mlpipe models evaluate MODEL[@VERSION] -f pipeline.yaml")

	spec := impExampleSpec(t)
	files := impTrain(t, false)
	impArtifacts(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no spec", []string{"models", "evaluate", "churn-classifier@1"}, "-f pipeline.yaml is required"},
		{"no model", []string{"models", "evaluate", "-f", spec}, "usage: mlpipe models evaluate MODEL[@VERSION|@ALIAS] -f pipeline.yaml"},
		{"no versions", []string{"models", "evaluate", "churn-classifier", "-f", spec},
			"model churn-classifier has no versions in " + os.Getenv("MLPIPE_ARTIFACTS") + ": register one first (mlpipe models import churn-classifier"},
		{"another model", []string{"models", "evaluate", "plans@1", "-f", spec}, spec + " trains model churn-classifier, not plans"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := impRun(t, c.args...)
			assert.Equal(t, exitUsage, code, out+errOut)
			assert.Contains(t, errOut, c.want)
		})
	}

	_, errOut, code = impRun(t, "models", "import", "churn-classifier", "--xgboost", files.model, "--transform", files.transform, "--as", "alice")
	require.Equal(t, exitOK, code, errOut)
	for target, want := range map[string]string{
		"churn-classifier@production": "model churn-classifier has no production version (aliases: candidate=1; versions: 1): name one with churn-classifier@VERSION",
		"churn-classifier@9":          "model churn-classifier has no version 9 (versions: 1)",
	} {
		out, errOut, code := impRun(t, "models", "evaluate", target, "-f", spec)
		assert.Equal(t, exitUsage, code, out+errOut)
		assert.Contains(t, errOut, want)
	}
}
