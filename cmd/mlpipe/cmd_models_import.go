package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/treeeval"
)

const modelsImportUsage = "usage: mlpipe models import MODEL --xgboost model.json --transform transform.json --as NAME [--classes A,B,...] [--positive LABEL] [--threshold 0.5]"

// importNameRE is the registry's rule for model names, checked before
// anything is written so a bad name leaves no bundle behind.
var importNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// importInput is what `models import` was asked to import.
type importInput struct {
	name, xgbFile, transformFile, who string
	classes                           []string
	positive                          string
	threshold                         float64
	thresholdSet                      bool
}

// modelsImport registers an XGBoost model trained elsewhere as the
// candidate version of a model, bundled with a fitted feature transform,
// so it goes through the same approval and rollout as a trained one.
// Every check runs before the first write: bad input leaves nothing.
func (m *Main) modelsImport(ctx context.Context, args []string) error {
	fs := newFlags("models import")
	xgb := fs.String("xgboost", "", "the XGBoost model, saved as JSON (booster.save_model(\"model.json\"))")
	transform := fs.String("transform", "", "the fitted feature transform (transform.json of a feature-store version)")
	who := fs.String("as", "", "your name, recorded as who imported the model")
	classes := fs.String("classes", "", "the model's classes in output order, comma-separated; must match the transform's")
	positive := fs.String("positive", "", "a binary model's positive label; must match the transform's")
	threshold := fs.Float64("threshold", 0.5, "a binary model predicts the positive label above this probability (0 < t < 1)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(modelsImportUsage)
	}
	in := importInput{name: pos[0], xgbFile: *xgb, transformFile: *transform, who: strings.TrimSpace(*who),
		positive: *positive, threshold: *threshold}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "threshold" {
			in.thresholdSet = true
		}
	})
	if *classes != "" {
		for _, c := range strings.Split(*classes, ",") {
			in.classes = append(in.classes, strings.TrimSpace(c))
		}
	}
	b, lineage, err := in.build()
	if err != nil {
		return err
	}

	location := config.FromEnv().Artifacts
	store, err := artifact.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", location, err)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the bundle of %s: %w", in.name, err)
	}
	// A new key per import, written create-only: the same files imported
	// again must not replace a bundle an earlier version's digest names.
	key := fmt.Sprintf("models/%s/import-%s-%s/bundle.json", in.name, lineage.bundleID, b.Metadata.CreatedAt.Format("20060102T150405.000000000Z"))
	ref, err := store.Create(ctx, key, bytes.NewReader(data), "application/json")
	if err != nil {
		return fmt.Errorf("store the bundle of %s: %w", in.name, err)
	}
	reg := registry.New(store)
	v, err := reg.RegisterCandidate(ctx, registry.Version{Name: in.name, Model: ref, Params: lineage.params, CreatedAt: b.Metadata.CreatedAt},
		registry.Actor(in.who), registry.Reason("imported from "+filepath.Base(in.xgbFile)+" (sha256 "+lineage.xgbSHA+")"))
	if err != nil {
		if v.Version == 0 {
			// Nothing refers to the bundle yet: take it back so a failed
			// import leaves nothing.
			if derr := store.Delete(ctx, key); derr != nil {
				logger := m.Logger
				if logger == nil {
					logger = slog.Default()
				}
				logger.Warn("could not remove the bundle of a failed import", "key", key, "error", derr)
			}
		}
		return fmt.Errorf("register %s: %w", in.name, err)
	}
	fmt.Fprintf(m.Stdout, "imported %s as %s version %d (candidate): %d trees, %s, %d features, classes %s\n",
		in.xgbFile, in.name, v.Version, b.Trees.Trees(), b.Trees.Objective(), b.Trees.Features(), strings.Join(b.ClassList(), ", "))
	fmt.Fprintf(m.Stdout, "  bundle %s\n  next: mlpipe models evaluate %s@%d -f pipeline.yaml  (evaluation, gate, approval and rollout)\n", ref.URI, in.name, v.Version)
	return nil
}

const modelsEvaluateUsage = "usage: mlpipe models evaluate MODEL[@VERSION|@ALIAS] -f pipeline.yaml [--id ID] [--detach] [--set path=value]"

// modelsEvaluate runs a pipeline whose training stage takes a registered
// version (`import:`) instead of training: the pipeline's data, features,
// evaluation, gate, approval and rollout then decide on it as on a model
// it trained. It is `mlpipe run` with the import set, so it follows the
// run and exits as run does.
func (m *Main) modelsEvaluate(ctx context.Context, args []string) error {
	fs := newFlags("models evaluate")
	file := fs.String("f", "", "the pipeline spec whose data, features, gate, approval and deployment the version goes through")
	id := fs.String("id", "", "workflow ID (default NAME-TIMESTAMP)")
	detach := fs.Bool("detach", false, "start and return without following")
	var sets overrides
	fs.Var(&sets, "set", "override a spec value: path.to.key=YAML (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(modelsEvaluateUsage)
	}
	p, err := loadSpec(*file, sets...)
	if err != nil {
		return err
	}
	name, ref, _ := strings.Cut(pos[0], "@")
	if name != p.Model {
		return usageErr("%s trains model %s, not %s: evaluate a version of %s, or give a spec whose model: is %s", *file, p.Model, name, p.Model, name)
	}
	i := slices.IndexFunc(p.Stages, func(st spec.Stage) bool { return st.KindOrName() == spec.KindTraining })
	if i < 0 {
		return usageErr("%s has no %s stage to take the version in place of training", *file, spec.KindTraining)
	}
	version, err := m.resolveVersion(ctx, name, ref)
	if err != nil {
		return err
	}
	run := []string{"-f", *file}
	for _, o := range sets {
		run = append(run, "--set", o.Path+"="+o.Value)
	}
	run = append(run, "--set", fmt.Sprintf("stages.%s.import={version: %d}", p.Stages[i].Name, version))
	if *id != "" {
		run = append(run, "--id", *id)
	}
	if *detach {
		run = append(run, "--detach")
	}
	return m.run(ctx, run)
}

// resolveVersion turns VERSION or ALIAS (default candidate) into a version
// number of name that exists, so a typo is refused before anything starts.
func (m *Main) resolveVersion(ctx context.Context, name, ref string) (int, error) {
	if ref == "" {
		ref = registry.AliasCandidate
	}
	location := config.FromEnv().Artifacts
	store, err := artifact.Open(ctx, location)
	if err != nil {
		return 0, fmt.Errorf("artifact store %s: %w", location, err)
	}
	reg := registry.New(store)
	versions, err := reg.List(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("read the versions of %s: %w", name, err)
	}
	if len(versions) == 0 {
		return 0, usageErr("model %s has no versions in %s: register one first (mlpipe models import %s --xgboost model.json --transform transform.json --as NAME)", name, location, name)
	}
	aliases, err := reg.Aliases(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("read the aliases of %s: %w", name, err)
	}
	n, err := strconv.Atoi(ref)
	if err != nil {
		var ok bool
		if n, ok = aliases[ref]; !ok {
			return 0, usageErr("model %s has no %s version (aliases: %s; versions: %s): name one with %s@VERSION", name, ref, aliasList(aliases), versionList(versions), name)
		}
	}
	if !slices.ContainsFunc(versions, func(v registry.Version) bool { return v.Version == n }) {
		return 0, usageErr("model %s has no version %s (versions: %s)", name, ref, versionList(versions))
	}
	return n, nil
}

// importLineage is what the registry records about an import.
type importLineage struct {
	xgbSHA, bundleID string
	params           map[string]any
}

// build reads and checks the two files and returns the bundle to store.
func (in importInput) build() (*bundle.Bundle, importLineage, error) {
	switch {
	case !importNameRE.MatchString(in.name):
		return nil, importLineage{}, usageErr("model name %q is invalid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", in.name)
	case in.xgbFile == "":
		return nil, importLineage{}, usageErr("--xgboost is required: the XGBoost model saved as JSON (%s)", modelsImportUsage)
	case in.transformFile == "":
		return nil, importLineage{}, usageErr("--transform is required: the transform.json of the feature-store version the model was trained on (%s)", modelsImportUsage)
	case in.who == "":
		return nil, importLineage{}, usageErr("--as is required: name who imports the model; the registry records it")
	case in.thresholdSet && !(in.threshold > 0 && in.threshold < 1):
		return nil, importLineage{}, usageErr("--threshold %v is out of range: use 0 < threshold < 1", in.threshold)
	}
	raw, err := os.ReadFile(in.xgbFile)
	if err != nil {
		return nil, importLineage{}, usageErr("--xgboost: %v", err)
	}
	trees, err := parseXGBoost(in.xgbFile, raw)
	if err != nil {
		return nil, importLineage{}, err
	}
	tr, trRaw, err := readTransform(in.transformFile)
	if err != nil {
		return nil, importLineage{}, err
	}
	if trees.Features() != tr.NumOutputs() {
		return nil, importLineage{}, usageErr("%s takes %d features but the transform %s gives %d (%s): import the transform of the feature-store version the model was trained on",
			in.xgbFile, trees.Features(), in.transformFile, tr.NumOutputs(), strings.Join(tr.Outputs, ", "))
	}
	if names := trees.FeatureNames(); len(names) > 0 && !slices.Equal(names, tr.Outputs) {
		return nil, importLineage{}, usageErr("%s names its features %s but the transform %s gives %s, in that order: train the model on the transform's matrix",
			in.xgbFile, strings.Join(names, ", "), in.transformFile, strings.Join(tr.Outputs, ", "))
	}
	classes := tr.ClassList()
	if err := in.checkClasses(trees, tr, classes); err != nil {
		return nil, importLineage{}, err
	}
	xgbSHA, trSHA := sha256.Sum256(raw), sha256.Sum256(trRaw)
	lin := importLineage{xgbSHA: hex.EncodeToString(xgbSHA[:])}
	lin.bundleID = lin.xgbSHA[:16] + "-" + hex.EncodeToString(trSHA[:])[:16]
	lin.params = map[string]any{
		"source":           "xgboost import",
		"imported_by":      in.who,
		"xgboost_file":     filepath.Base(in.xgbFile),
		"xgboost_sha256":   lin.xgbSHA,
		"transform_sha256": hex.EncodeToString(trSHA[:]),
		"objective":        trees.Objective(),
		"trees":            trees.Trees(),
	}
	b := &bundle.Bundle{
		Format: bundle.Format, Name: in.name, Labels: tr.Labels, Classes: classes, Threshold: in.threshold,
		Transform: tr, Trees: trees,
		Metadata: bundle.Metadata{
			Params:      model.Config{Kind: model.KindGradientBoosting},
			CodeVersion: "import: xgboost sha256 " + lin.xgbSHA,
			CreatedAt:   time.Now().UTC(),
		},
	}
	// The gateway loads a bundle with bundle.Decode: run the same checks
	// now, so what is registered is known to load.
	enc, err := json.Marshal(b)
	if err != nil {
		return nil, importLineage{}, fmt.Errorf("encode the bundle of %s: %w", in.name, err)
	}
	if _, err := bundle.Decode(enc); err != nil {
		return nil, importLineage{}, usageErr("%s with %s does not make a servable model: %v", in.xgbFile, in.transformFile, err)
	}
	return b, lin, nil
}

// checkClasses makes sure the model's outputs, the transform's label
// encoding and what the flags assert agree.
func (in importInput) checkClasses(trees *treeeval.Model, tr *features.Transform, classes []string) error {
	multi := trees.Objective() == treeeval.ObjectiveMultiSoftprob
	switch {
	case multi && !tr.MultiClass():
		return usageErr("%s is multi-class (%s, %d classes) but the transform %s is binary (%s): import the transform of the data the model was trained on",
			in.xgbFile, trees.Objective(), trees.Classes(), in.transformFile, strings.Join(classes, ", "))
	case multi && trees.Classes() != len(classes):
		return usageErr("%s has %d classes (num_class) but the transform %s has %d (%s)",
			in.xgbFile, trees.Classes(), in.transformFile, len(classes), strings.Join(classes, ", "))
	case !multi && tr.MultiClass():
		return usageErr("%s is binary (%s) but the transform %s has %d classes (%s): train with multi:softprob and num_class %d",
			in.xgbFile, trees.Objective(), in.transformFile, len(classes), strings.Join(classes, ", "), len(classes))
	case multi && in.thresholdSet:
		return usageErr("--threshold applies to a binary model; %s is multi-class and predicts its most probable class", in.xgbFile)
	case multi && in.positive != "":
		return usageErr("--positive applies to a binary model; %s is multi-class (classes %s)", in.xgbFile, strings.Join(classes, ", "))
	case len(in.classes) > 0 && !slices.Equal(in.classes, classes):
		return usageErr("--classes %s differs from the transform's classes in model order (%s): the model's output k is the transform's class k",
			strings.Join(in.classes, ","), strings.Join(classes, ","))
	case !multi && in.positive != "" && in.positive != tr.Labels[1]:
		return usageErr("--positive %q differs from the transform's positive label %q (labels %s)", in.positive, tr.Labels[1], strings.Join(classes, ", "))
	}
	return nil
}

// parseXGBoost reads an XGBoost JSON model and keeps to the objectives
// the pipeline trains, so an imported model is scored like a trained one.
func parseXGBoost(file string, raw []byte) (*treeeval.Model, error) {
	if !utf8.Valid(raw) || !json.Valid(raw) {
		hint := "it is not JSON"
		if t := bytes.TrimSpace(raw); len(t) > 1 && t[0] == '{' && bytes.ContainsAny(t[1:2], "#$iUlLdDSTFZN") {
			hint = "it looks like XGBoost's UBJSON format"
		}
		return nil, usageErr("--xgboost %s: %s; save the model as JSON with booster.save_model(\"model.json\") (a .json name makes XGBoost write JSON)", file, hint)
	}
	trees, err := treeeval.Parse(raw)
	if err != nil {
		return nil, usageErr("--xgboost %s: %v", file, err)
	}
	if o := trees.Objective(); o != treeeval.ObjectiveBinaryLogistic && o != treeeval.ObjectiveMultiSoftprob {
		return nil, usageErr("--xgboost %s: objective %s is not supported for import; train with %s (binary) or %s (multi-class)",
			file, o, treeeval.ObjectiveBinaryLogistic, treeeval.ObjectiveMultiSoftprob)
	}
	return trees, nil
}

// readTransform reads a fitted transform as the feature stage writes it,
// refusing members it does not know (a model file given by mistake) and
// a transform whose columns and outputs disagree.
func readTransform(file string) (*features.Transform, []byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, usageErr("--transform: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var tr features.Transform
	if err := dec.Decode(&tr); err != nil {
		return nil, nil, usageErr("--transform %s: %v; give the transform.json of a feature-store version", file, err)
	}
	n := 0
	for _, c := range tr.Columns {
		n += len(c.Outputs)
	}
	switch {
	case tr.Version < features.TransformVersionBasic || tr.Version > features.TransformVersion:
		return nil, nil, usageErr("--transform %s: version %d; this mlpipe reads version %d or %d (the transform.json of a feature-store version)", file, tr.Version, features.TransformVersionBasic, features.TransformVersion)
	case len(tr.Columns) == 0 || len(tr.Outputs) == 0:
		return nil, nil, usageErr("--transform %s: no columns or outputs; give the transform.json of a feature-store version", file)
	case n != len(tr.Outputs):
		return nil, nil, usageErr("--transform %s: its columns give %d outputs but outputs lists %d", file, n, len(tr.Outputs))
	case !tr.MultiClass() && (tr.Labels[0] == "" || tr.Labels[1] == "" || tr.Labels[0] == tr.Labels[1]):
		return nil, nil, usageErr("--transform %s: labels %q: a binary transform names two different labels, [negative, positive]", file, tr.Labels)
	}
	return &tr, raw, nil
}
