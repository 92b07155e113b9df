package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// MarshalJSON writes a choice as a list and a range as a one-key object,
// {"log_uniform": [0.001, 0.3]}, as a spec writes them.
func (d Distribution) MarshalJSON() ([]byte, error) {
	if d.Kind == DistChoice {
		if d.Choices == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(d.Choices)
	}
	// Written by hand rather than from a map, so no map is iterated even
	// inside encoding/json.
	k, err := json.Marshal(d.Kind)
	if err != nil {
		return nil, err
	}
	v, err := json.Marshal([2]float64{d.Low, d.High})
	if err != nil {
		return nil, err
	}
	return slices.Concat([]byte("{"), k, []byte(":"), v, []byte("}")), nil
}

// rangeJSON holds the one key a range distribution may have.
type rangeJSON struct {
	Uniform    []float64 `json:"uniform"`
	LogUniform []float64 `json:"log_uniform"`
	IntUniform []float64 `json:"int_uniform"`
}

// UnmarshalJSON reads a list of values or a one-key range object, and checks
// the distribution's shape and bounds.
func (d *Distribution) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var out Distribution
	switch {
	case len(b) > 0 && b[0] == '[':
		out.Kind = DistChoice
		if err := json.Unmarshal(b, &out.Choices); err != nil {
			return fmt.Errorf("reading a list of values: %w", err)
		}
		if out.Choices == nil {
			out.Choices = []any{}
		}
	case len(b) > 0 && b[0] == '{':
		var r rangeJSON
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("want one of {uniform|log_uniform|int_uniform: [low, high]}: %w", err)
		}
		n := 0
		for _, c := range []struct {
			kind   string
			bounds []float64
		}{{DistUniform, r.Uniform}, {DistLogUniform, r.LogUniform}, {DistIntUniform, r.IntUniform}} {
			if c.bounds == nil {
				continue
			}
			n++
			if len(c.bounds) != 2 {
				return fmt.Errorf("%s needs exactly two bounds [low, high], got %d", c.kind, len(c.bounds))
			}
			out = Distribution{Kind: c.kind, Low: c.bounds[0], High: c.bounds[1]}
		}
		if n != 1 {
			return fmt.Errorf("give exactly one of uniform, log_uniform, int_uniform with [low, high]; got %d", n)
		}
	default:
		return fmt.Errorf("want a list of values or {uniform|log_uniform|int_uniform: [low, high]}, got %s", b)
	}
	if err := out.validate(); err != nil {
		return err
	}
	*d = out
	return nil
}

// MarshalJSON writes the space as a JSON object with its keys in the space's
// order: the same shape as param_distributions in YAML. encoding/json would
// sort a map's keys, so the object is written by hand.
func (s Space) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range s {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(p.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(p.Dist)
		if err != nil {
			return nil, fmt.Errorf("param_distributions.%s: %w", p.Name, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object keeping its keys in the order written,
// and checks each parameter (see Space.Validate).
func (s *Space) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("tune: param_distributions must be an object of parameter name to distribution")
	}
	out := Space{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("tune: param_distributions: %w", err)
		}
		name, _ := t.(string)
		if _, err := lookup(name); err != nil {
			return fmt.Errorf("tune: param_distributions.%s: %w", name, unknownParam(name))
		}
		var d Distribution
		if err := dec.Decode(&d); err != nil {
			return fmt.Errorf("tune: param_distributions.%s: %w", name, err)
		}
		out = append(out, Param{Name: name, Dist: d})
		if err := out.checkLast(""); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("tune: param_distributions: %w", err)
	}
	*s = out
	return nil
}

// checkLast validates the parameter just appended while decoding; where,
// such as " (line 8)", is added after its name in errors.
func (s Space) checkLast(where string) error {
	p := s[len(s)-1]
	for _, q := range s[:len(s)-1] {
		if q.Name == p.Name {
			return fmt.Errorf("tune: param_distributions.%s%s appears twice; keep one", p.Name, where)
		}
	}
	if err := p.check(); err != nil {
		return fmt.Errorf("tune: param_distributions.%s%s: %w", p.Name, where, err)
	}
	return nil
}
