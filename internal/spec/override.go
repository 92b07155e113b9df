package spec

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Override sets one value in a spec before it is read, as `--set
// deployment.steps=[{weight: 5, hold: 30s}]` does: a dotted path of mapping
// keys and a YAML value. Missing mappings on the path are created.
type Override struct {
	Path  string
	Value string
}

// ParseOverride reads KEY.PATH=YAML.
func ParseOverride(s string) (Override, error) {
	path, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(path) == "" {
		return Override{}, fmt.Errorf("--set %q: want path.to.key=value", s)
	}
	return Override{Path: strings.TrimSpace(path), Value: value}, nil
}

// applyOverrides rewrites YAML text with the overrides applied.
func applyOverrides(b []byte, overrides []Override) ([]byte, error) {
	if len(overrides) == 0 {
		return b, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the spec is not a YAML mapping")
	}
	for _, o := range overrides {
		var val yaml.Node
		if err := yaml.Unmarshal([]byte(o.Value), &val); err != nil {
			return nil, fmt.Errorf("--set %s: value: %w", o.Path, err)
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
		if len(val.Content) > 0 {
			v = val.Content[0]
		}
		if err := setPath(doc.Content[0], strings.Split(o.Path, "."), v); err != nil {
			return nil, fmt.Errorf("--set %s: %w", o.Path, err)
		}
	}
	return yaml.Marshal(&doc)
}

func setPath(m *yaml.Node, keys []string, v *yaml.Node) error {
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("cannot set %s: its parent is not a mapping", keys[0])
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != keys[0] {
			continue
		}
		if len(keys) == 1 {
			m.Content[i+1] = v
			return nil
		}
		return setPath(m.Content[i+1], keys[1:], v)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: keys[0]}
	if len(keys) == 1 {
		m.Content = append(m.Content, k, v)
		return nil
	}
	child := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, k, child)
	return setPath(child, keys[1:], v)
}
