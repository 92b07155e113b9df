package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/features"
)

const featuresUsage = "usage: mlpipe features ls [--pipeline P] [-o json] | mlpipe features show VERSION [-o json]"

// featuresCmd reads the feature store: its versions, and one version's
// manifest with the transform fitted for each input column.
func (m *Main) featuresCmd(ctx context.Context, args []string) error {
	fs := newFlags("features")
	out := fs.String("o", "text", "output: text or json")
	pipeline := fs.String("pipeline", "", "list only this pipeline's versions")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *out != "text" && *out != "json" {
		return usageErr("-o %q: use text or json", *out)
	}
	if len(pos) == 0 || (pos[0] == "ls" && len(pos) != 1) || (pos[0] == "show" && len(pos) != 2) || (pos[0] != "ls" && pos[0] != "show") {
		return usageErr(featuresUsage)
	}
	location := config.FromEnv().Artifacts
	store, err := artifact.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("artifact store %s: %w", location, err)
	}
	fr := featureReader{store: store, location: location, json: *out == "json", w: m.Stdout}
	if pos[0] == "ls" {
		return fr.list(ctx, *pipeline)
	}
	return fr.show(ctx, pos[1], *pipeline)
}

// featureReader runs one features subcommand.
type featureReader struct {
	store    artifact.Store
	location string
	json     bool
	w        io.Writer
}

// featureVersion is one manifest and where it is.
type featureVersion struct {
	Pipeline string                `json:"pipeline"`
	Key      string                `json:"manifest"`
	Set      activities.FeatureSet `json:"feature_set"`
}

// versions reads every manifest under features/, the newest first.
func (fr featureReader) versions(ctx context.Context, pipeline string) ([]featureVersion, error) {
	prefix := "features/"
	if pipeline != "" {
		prefix += pipeline + "/"
	}
	keys, err := fr.store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", fr.store.URI(prefix), err)
	}
	var out []featureVersion
	for _, key := range keys {
		// features/<pipeline>/<version>/manifest.json
		parts := strings.Split(key, "/")
		if len(parts) != 4 || parts[3] != "manifest.json" {
			continue
		}
		b, err := artifact.GetBytes(ctx, fr.store, key)
		if err != nil {
			return nil, err
		}
		var set activities.FeatureSet
		if err := json.Unmarshal(b, &set); err != nil {
			return nil, fmt.Errorf("decode %s: %w", fr.store.URI(key), err)
		}
		out = append(out, featureVersion{Pipeline: parts[1], Key: key, Set: set})
	}
	slices.SortStableFunc(out, func(a, b featureVersion) int {
		if c := b.Set.Created.Compare(a.Set.Created); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Pipeline, b.Pipeline), strings.Compare(a.Set.Version, b.Set.Version))
	})
	return out, nil
}

func (fr featureReader) list(ctx context.Context, pipeline string) error {
	vs, err := fr.versions(ctx, pipeline)
	if err != nil {
		return err
	}
	if fr.json {
		if vs == nil {
			vs = []featureVersion{}
		}
		return fr.encode(vs)
	}
	if len(vs) == 0 {
		where := "the feature store"
		if pipeline != "" {
			where = "pipeline " + pipeline
		}
		fmt.Fprintf(fr.w, "no feature-store versions for %s in %s\n", where, fr.location)
		return nil
	}
	tw := tabwriter.NewWriter(fr.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tPIPELINE\tROWS (TRAIN/TEST)\tFEATURES\tCREATED")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%s\n", v.Set.Version, v.Pipeline, v.Set.TrainRows, v.Set.TestRows, len(v.Set.Features), created(v.Set.Created))
	}
	return tw.Flush()
}

func created(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// featureDetail is `features show -o json`.
type featureDetail struct {
	featureVersion
	Transform *features.Transform `json:"transform"`
}

func (fr featureReader) show(ctx context.Context, version, pipeline string) error {
	vs, err := fr.versions(ctx, pipeline)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(vs, func(v featureVersion) bool { return v.Set.Version == version })
	if i < 0 {
		names := make([]string, 0, min(len(vs), 10))
		for _, v := range vs[:min(len(vs), 10)] {
			names = append(names, v.Set.Version)
		}
		known := "it holds none"
		if len(names) > 0 {
			known = "the newest: " + strings.Join(names, ", ") + " (mlpipe features ls lists them all)"
		}
		return usageErr("no feature-store version %q in %s; %s", version, fr.location, known)
	}
	v := vs[i]
	b, err := artifact.ReadAll(ctx, v.Set.Transform)
	if err != nil {
		return fmt.Errorf("read %s: %w", v.Set.Transform.URI, err)
	}
	var tr features.Transform
	if err := json.Unmarshal(b, &tr); err != nil {
		return fmt.Errorf("decode %s: %w", v.Set.Transform.URI, err)
	}
	if fr.json {
		return fr.encode(featureDetail{featureVersion: v, Transform: &tr})
	}
	s := v.Set
	w := fr.w
	fmt.Fprintf(w, "version:     %s\n", s.Version)
	fmt.Fprintf(w, "pipeline:    %s\n", v.Pipeline)
	fmt.Fprintf(w, "created:     %s\n", created(s.Created))
	fmt.Fprintf(w, "data:        sha256 %s\n", s.DataDigest)
	fmt.Fprintf(w, "rows:        %d train, %d test\n", s.TrainRows, s.TestRows)
	if len(s.Classes) > 0 {
		fmt.Fprintf(w, "classes:     %s\n", strings.Join(s.Classes, ", "))
	} else {
		fmt.Fprintf(w, "labels:      %s (negative), %s (positive)\n", s.Labels[0], s.Labels[1])
	}
	fmt.Fprintf(w, "target:      %s\n", tr.Target)
	fmt.Fprintf(w, "features:    %d\n", len(s.Features))
	for _, ref := range []struct {
		name string
		ref  artifact.Ref
	}{{"train", s.Train}, {"test", s.Test}, {"test_raw", s.TestRaw}, {"transform", s.Transform}} {
		if ref.ref.URI != "" {
			fmt.Fprintf(w, "%-12s %s (%s, %d bytes)\n", ref.name+":", ref.ref.URI, ref.ref.MediaType, ref.ref.Size)
		}
	}
	fmt.Fprintf(w, "\ntransform (version %d), per input column:\n", tr.Version)
	for _, line := range tr.Describe() {
		fmt.Fprintf(w, "  %s\n", line)
	}
	return nil
}

func (fr featureReader) encode(v any) error {
	enc := json.NewEncoder(fr.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
