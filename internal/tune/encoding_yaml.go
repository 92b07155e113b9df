package tune

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML reads a list of values or a one-key range mapping,
// {log_uniform: [0.001, 0.3]}, and checks its shape and bounds. Errors name
// the line.
func (d *Distribution) UnmarshalYAML(n *yaml.Node) error {
	out, err := decodeDist(n)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = out
	return nil
}

func decodeDist(n *yaml.Node) (Distribution, error) {
	n = resolveAlias(n)
	var d Distribution
	switch n.Kind {
	case yaml.SequenceNode:
		d.Kind = DistChoice
		d.Choices = make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := scalarValue(resolveAlias(c))
			if err != nil {
				return Distribution{}, fmt.Errorf("value %d: %w", i+1, err)
			}
			d.Choices = append(d.Choices, v)
		}
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			return Distribution{}, fmt.Errorf("give exactly one of uniform, log_uniform, int_uniform with [low, high]; got %d keys", len(n.Content)/2)
		}
		d.Kind = n.Content[0].Value
		if d.Kind != DistUniform && d.Kind != DistLogUniform && d.Kind != DistIntUniform {
			return Distribution{}, fmt.Errorf("distribution %q is not supported; use a list of values or one of uniform, log_uniform, int_uniform", d.Kind)
		}
		b := resolveAlias(n.Content[1])
		if b.Kind != yaml.SequenceNode || len(b.Content) != 2 {
			return Distribution{}, fmt.Errorf("%s needs two bounds, e.g. %s: [0.001, 0.3]", d.Kind, d.Kind)
		}
		for i, dst := range []*float64{&d.Low, &d.High} {
			v, err := scalarValue(resolveAlias(b.Content[i]))
			f, ok := v.(float64)
			if err != nil || !ok {
				return Distribution{}, fmt.Errorf("%s bound %q is not a number", d.Kind, b.Content[i].Value)
			}
			*dst = f
		}
	default:
		return Distribution{}, fmt.Errorf("want a list of values, e.g. [adam, sgd] (a one-item list pins a value), or {uniform|log_uniform|int_uniform: [low, high]}; got %q", n.Value)
	}
	return d, d.validate()
}

// scalarValue turns a YAML scalar into a choice value: a float64 for a
// number, a string, or nil for null. Booleans are refused rather than
// guessed at: no tunable field is a boolean.
func scalarValue(n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("values must be strings, numbers or null, not a list or mapping")
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!str":
		return n.Value, nil
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("%q is not a number: %w", n.Value, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s is a %s; values must be strings, numbers or null (quote it to use it as text)", n.Value, n.ShortTag())
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// MarshalYAML writes a choice as a list and a range as a one-key mapping.
func (d Distribution) MarshalYAML() (any, error) {
	if d.Kind == DistChoice {
		return d.Choices, nil
	}
	var bounds yaml.Node
	if err := bounds.Encode([2]float64{d.Low, d.High}); err != nil {
		return nil, err
	}
	bounds.Style = yaml.FlowStyle
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: d.Kind}, &bounds,
	}}, nil
}

// UnmarshalYAML reads param_distributions keeping the mapping's order, and
// checks each parameter; errors name the parameter and its line. Decoded
// over a space that has parameters (an override such as --set
// search.param_distributions.n_estimators=[10, 20] over a params file's
// search), it replaces the parameters it names and keeps the others, as
// an override of any other mapping does.
func (s *Space) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("tune: param_distributions (line %d) must be a mapping of parameter name to distribution", n.Line)
	}
	out := Space{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		// The name first: a value shaped for a parameter that cannot be
		// searched (hidden: [[16], [32]]) is best answered by what can.
		if _, err := lookup(k.Value); err != nil {
			return fmt.Errorf("tune: param_distributions.%s (line %d): %w", k.Value, k.Line, unknownParam(k.Value))
		}
		d, err := decodeDist(v)
		if err != nil {
			return fmt.Errorf("tune: param_distributions.%s (line %d): %w", k.Value, k.Line, err)
		}
		out = append(out, Param{Name: k.Value, Dist: d})
		if err := out.checkLast(fmt.Sprintf(" (line %d)", k.Line)); err != nil {
			return err
		}
	}
	merged := append(Space(nil), *s...)
	for _, p := range out {
		if i := slices.IndexFunc(merged, func(q Param) bool { return q.Name == p.Name }); i >= 0 {
			merged[i] = p
		} else {
			merged = append(merged, p)
		}
	}
	*s = merged
	return nil
}

// MarshalYAML writes the space as a mapping in the space's order.
func (s Space) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, p := range s {
		var v yaml.Node
		if err := v.Encode(p.Dist); err != nil {
			return nil, fmt.Errorf("param_distributions.%s: %w", p.Name, err)
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p.Name}, &v)
	}
	return m, nil
}
