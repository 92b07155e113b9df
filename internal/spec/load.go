package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Load reads a YAML spec file, resolves it and validates it. Relative paths
// in it (data.source, data.test_source, a stage's params files) are taken
// relative to the spec file's folder, as docker-compose does, so a spec
// means the same thing whatever folder it is started from.
func Load(path string, overrides ...Override) (*Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("spec %s does not exist", path)
		}
		return nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	if b, err = applyOverrides(b, overrides); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	p, err := Parse(b, path)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	if err := p.resolve(dir); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	return p, nil
}

// Parse decodes YAML strictly: an unknown key is an error naming its line,
// so a typo never silently drops a setting. name is used in messages.
func Parse(b []byte, name string) (*Pipeline, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Pipeline
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("spec %s is empty", name)
		}
		return nil, fmt.Errorf("spec %s: %w", name, err)
	}
	return &p, nil
}

// DecodeJSON reads the JSON workflow input form, as `mlpipe spec` prints it.
func DecodeJSON(b []byte) (*Pipeline, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Pipeline
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("pipeline JSON: %w", err)
	}
	return &p, nil
}

// resolve makes the spec self-contained: relative data paths become
// absolute file:// URIs and params files are merged into Hyperparameters.
func (p *Pipeline) resolve(dir string) error {
	var err error
	if p.Data.Source, err = resolveURI(dir, p.Data.Source, "data.source"); err != nil {
		return err
	}
	if p.Data.TestSource, err = resolveURI(dir, p.Data.TestSource, "data.test_source"); err != nil {
		return err
	}
	for _, st := range p.Stages {
		for _, f := range st.Params {
			if err := p.mergeParams(filepath.Join(dir, f), st.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeParams reads a params file: either the hyperparameters themselves or
// a document with a top-level `hyperparameters:` key.
func (p *Pipeline) mergeParams(path, stage string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("stage %s: params file %s does not exist", stage, path)
		}
		return fmt.Errorf("stage %s: params file %s: %w", stage, path, err)
	}
	var probe map[string]yaml.Node
	if err := yaml.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("stage %s: params file %s: %w", stage, path, err)
	}
	// A params file may carry the search space beside the hyperparameters
	// (then under a `hyperparameters:` key), as RandomizedSearchCV's
	// param_distributions sit beside the estimator's parameters.
	if node, ok := probe["search"]; ok {
		var s tune.Search
		if err := node.Decode(&s); err != nil {
			return fmt.Errorf("stage %s: params file %s: search: %w", stage, path, err)
		}
		p.Search = &s
		if _, ok := probe["hyperparameters"]; !ok {
			return nil
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if _, ok := probe["hyperparameters"]; ok {
		// Other top-level keys belong to other tools; the hyperparameters
		// themselves are decoded strictly, so a typo names its line.
		doc := struct {
			Hyperparameters *model.Config  `yaml:"hyperparameters"`
			Rest            map[string]any `yaml:",inline"`
		}{Hyperparameters: &p.Hyperparameters}
		err = dec.Decode(&doc)
	} else {
		err = dec.Decode(&p.Hyperparameters)
	}
	if err != nil {
		return fmt.Errorf("stage %s: params file %s: %w", stage, path, err)
	}
	return nil
}

// resolveURI turns a relative path or file:// URI into an absolute file://
// URI, checking the file exists; remote URIs pass through.
func resolveURI(dir, uri, field string) (string, error) {
	if uri == "" {
		return "", nil
	}
	if strings.HasPrefix(uri, "s3://") || strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		return uri, nil
	}
	path := strings.TrimPrefix(uri, "file://")
	if strings.Contains(path, "://") {
		return "", fmt.Errorf("%s %q: unsupported scheme; use file://, s3://, http:// or https://", field, uri)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s: file %s does not exist (relative paths are resolved against the spec's folder %s)", field, path, dir)
		}
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return "file://" + path, nil
}
