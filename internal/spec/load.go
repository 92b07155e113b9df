package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// Load reads a YAML spec file, applies the overrides (`--set`), resolves it
// and validates it. Relative paths in it (data.source, data.test_source, a
// stage's params files) are taken relative to the spec file's folder, as
// docker-compose does, so a spec means the same thing whatever folder it is
// started from. An override wins over every file, params files included.
func Load(path string, overrides ...Override) (*Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("spec %s does not exist", path)
		}
		return nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	p, err := parse(b, path, overrides)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	if err := p.resolve(dir, overrides); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("spec %s: %w", path, err)
	}
	return p, nil
}

// Parse decodes YAML strictly: an unknown key is an error naming its line
// and the key meant, so a typo never silently drops a setting. name is used
// in messages.
func Parse(b []byte, name string) (*Pipeline, error) { return parse(b, name, nil) }

// parse decodes the spec's own text with the overrides applied to its
// parsed form, so every line in a message is a line of the file the user
// wrote, and a value that came from an override says so.
func parse(b []byte, name string, overrides []Override) (*Pipeline, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("spec %s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, fmt.Errorf("spec %s is empty", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("spec %s: line %d: a spec is a mapping of keys such as name, model, data and stages", name, root.Line)
	}
	src := &sources{overrides: overrides}
	if err := applyOverrides(root, overrides); err != nil {
		return nil, fmt.Errorf("spec %s: %w", name, err)
	}
	if probs := yamlProblems(reflect.TypeFor[Pipeline](), root, "", src); len(probs) > 0 {
		return nil, fmt.Errorf("spec %s: %s", name, listed(probs, "unknown keys"))
	}
	var p Pipeline
	if err := root.Decode(&p); err != nil {
		return nil, fmt.Errorf("spec %s: %s", name, src.rewrite(err.Error()))
	}
	p.zeros = yamlZeros(root, "")
	markUnlimitedDepth(valueOfMapping(root, "hyperparameters"), &p.Hyperparameters)
	return &p, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// listed joins messages: one as it is, several as a list under a count.
func listed(msgs []string, what string) string {
	if len(msgs) == 1 {
		return msgs[0]
	}
	return fmt.Sprintf("%d %s:\n  - %s", len(msgs), what, strings.Join(msgs, "\n  - "))
}

// DecodeJSON reads the JSON workflow input form, as `mlpipe spec` prints it,
// refusing what the workflow would refuse before it validates: a key no
// field takes, or a value that does not decode.
func DecodeJSON(b []byte) (*Pipeline, error) {
	var p Pipeline
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("pipeline JSON: %w", err)
	}
	if len(p.inputProblems) > 0 {
		return nil, &Error{Msg: listed(p.inputProblems, "problems")}
	}
	return &p, nil
}

// resolve makes the spec self-contained: relative data paths become
// absolute file:// URIs and params files are merged into Hyperparameters.
// Overrides of hyperparameters and search are applied again after the
// params files, since an override wins over any file.
func (p *Pipeline) resolve(dir string, overrides []Override) error {
	var err error
	if p.Data.Source, err = resolveURI(dir, p.Data.Source, "data.source"); err != nil {
		return err
	}
	if p.Data.TestSource, err = resolveURI(dir, p.Data.TestSource, "data.test_source"); err != nil {
		return err
	}
	merged := false
	for _, st := range p.Stages {
		for _, f := range st.Params {
			if !filepath.IsAbs(f) {
				f = filepath.Join(dir, f)
			}
			if err := p.mergeParams(f, st.Name); err != nil {
				return err
			}
			merged = true
		}
	}
	if merged {
		return p.reapply(overrides)
	}
	return nil
}

// reapply sets the overrides of hyperparameters and search over what the
// params files set.
func (p *Pipeline) reapply(overrides []Override) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	var mine []Override
	for _, o := range overrides {
		top, _, _ := strings.Cut(o.Path, ".")
		if top != "hyperparameters" && top != "search" {
			continue
		}
		mine = append(mine, o)
		v, err := o.node(len(mine) - 1)
		if err != nil {
			return err
		}
		if err := setPath(root, strings.Split(o.Path, "."), v, -len(mine)); err != nil {
			return fmt.Errorf("--set %s: %w", o.Path, err)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	doc := struct {
		Hyperparameters *model.Config `yaml:"hyperparameters"`
		Search          *tune.Search  `yaml:"search"`
	}{Hyperparameters: &p.Hyperparameters, Search: p.Search}
	if err := root.Decode(&doc); err != nil {
		return errors.New((&sources{overrides: mine}).rewrite(err.Error()))
	}
	if doc.Hyperparameters != nil && doc.Hyperparameters != &p.Hyperparameters {
		p.Hyperparameters = *doc.Hyperparameters
	}
	markUnlimitedDepth(valueOfMapping(root, "hyperparameters"), &p.Hyperparameters)
	p.Search = doc.Search
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
	fail := func(err error) error { return fmt.Errorf("stage %s: params file %s: %w", stage, path, err) }
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fail(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fail(fmt.Errorf("line %d: a params file is a mapping of hyperparameters (or has a hyperparameters: key)", root.Line))
	}
	// A params file may carry the search space beside the hyperparameters
	// (then under a `hyperparameters:` key), as RandomizedSearchCV's
	// param_distributions sit beside the estimator's parameters. Other
	// top-level keys belong to other tools.
	hp, search := valueOf(root, "hyperparameters"), valueOf(root, "search")
	hpPath := "hyperparameters"
	if hp == nil && search == nil {
		hp, hpPath = root, ""
	}
	if search != nil {
		if probs := yamlProblems(reflect.TypeFor[tune.Search](), search, "search", nil); len(probs) > 0 {
			return fail(errors.New(listed(probs, "unknown keys")))
		}
		var s tune.Search
		if err := search.Decode(&s); err != nil {
			return fail(fmt.Errorf("search: %w", err))
		}
		p.Search = &s
		p.zeros = append(p.zeros, yamlZeros(search, "search")...)
	}
	if hp == nil {
		return nil
	}
	if probs := yamlProblems(reflect.TypeFor[model.Config](), hp, hpPath, nil); len(probs) > 0 {
		return fail(errors.New(listed(probs, "unknown keys")))
	}
	if err := hp.Decode(&p.Hyperparameters); err != nil {
		return fail(err)
	}
	markUnlimitedDepth(hp, &p.Hyperparameters)
	p.zeros = append(p.zeros, yamlZeros(hp, "hyperparameters")...)
	return nil
}

// valueOf returns the value of key in a mapping node, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolveAlias(m.Content[i+1])
		}
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
