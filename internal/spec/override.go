package spec

import (
	"fmt"
	"regexp"
	"strconv"
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

// node parses the override's value. Every node of it is given the line
// -(i+1), i being the override's index, so a message about it can say it
// came from this --set rather than quote a line of the spec (see sources).
func (o Override) node(i int) (*yaml.Node, error) {
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(o.Value), &val); err != nil {
		return nil, fmt.Errorf("--set %s: value: %w", o.Path, err)
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if len(val.Content) > 0 {
		v = val.Content[0]
	}
	markLines(v, -(i + 1))
	return v, nil
}

func markLines(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		markLines(c, line)
	}
}

// applyOverrides sets each override in the parsed spec, in order.
func applyOverrides(root *yaml.Node, overrides []Override) error {
	for i, o := range overrides {
		v, err := o.node(i)
		if err != nil {
			return err
		}
		if err := setPath(root, strings.Split(o.Path, "."), v, -(i + 1)); err != nil {
			return fmt.Errorf("--set %s: %w", o.Path, err)
		}
	}
	return nil
}

// setPath sets keys in mapping m to v; keys it creates get line.
func setPath(m *yaml.Node, keys []string, v *yaml.Node, line int) error {
	m = resolveAlias(m)
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
		return setPath(m.Content[i+1], keys[1:], v, line)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: keys[0], Line: line}
	if len(keys) == 1 {
		m.Content = append(m.Content, k, v)
		return nil
	}
	child := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
	m.Content = append(m.Content, k, child)
	return setPath(child, keys[1:], v, line)
}

// sources says where a node of a spec was written: a line of the file, or
// an override, whose nodes carry negative lines (see Override.node).
type sources struct {
	overrides []Override
}

func (s *sources) where(n *yaml.Node) string {
	if n.Line < 0 && s != nil && -n.Line <= len(s.overrides) {
		o := s.overrides[-n.Line-1]
		return fmt.Sprintf("--set %s=%s", o.Path, o.Value)
	}
	return fmt.Sprintf("line %d", n.Line)
}

var negativeLine = regexp.MustCompile(`line -(\d+)`)

// rewrite replaces the negative lines that decoding errors quote for an
// override's nodes with the override itself.
func (s *sources) rewrite(msg string) string {
	return negativeLine.ReplaceAllStringFunc(msg, func(m string) string {
		i, err := strconv.Atoi(strings.TrimPrefix(m, "line -"))
		if err != nil {
			return m
		}
		return s.where(&yaml.Node{Line: -i})
	})
}
