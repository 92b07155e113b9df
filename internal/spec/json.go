package spec

import (
	"encoding/json"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// UnmarshalJSON decodes the workflow input leniently and keeps what it
// found wrong for Validate to refuse: a key no field takes (at any depth,
// so `aproval` cannot silently drop the approver list) or a value that
// does not decode. It never fails itself, since a workflow whose input
// cannot be decoded fails without saying which setting to fix.
func (p *Pipeline) UnmarshalJSON(b []byte) error {
	type plain Pipeline // the same fields, without this method
	var out plain
	probs, decoded := DecodeInput(b, &out)
	*p = Pipeline(out)
	p.inputProblems, p.inputBroken = probs, !decoded
	p.zeros = jsonZeros(b)
	return nil
}

// DecodeInput decodes the JSON document b into v, a pointer to a struct
// (of a type without its own UnmarshalJSON, such as a local copy of the
// input type), the way a workflow input must be decoded: it never fails.
// It returns what the workflow should refuse, each naming its setting's
// path (see JSONProblems), and whether every value decoded. A value that
// does not decode leaves its field as it was and the others are decoded
// still, so a workflow can show what it was started with beside the
// refusal.
//
// An input type calls it from its UnmarshalJSON, keeps the problems in an
// unexported field, and the workflow refuses them, before any work, with a
// non-retryable error:
//
//	func (in *RolloutInput) UnmarshalJSON(b []byte) error {
//		type plain RolloutInput
//		var out plain
//		probs, _ := spec.DecodeInput(b, &out)
//		*in = RolloutInput(out)
//		in.problems = probs
//		return nil
//	}
func DecodeInput(b []byte, v any) (problems []string, decoded bool) {
	err := json.Unmarshal(b, v)
	if err != nil && reflect.TypeOf(v).Elem().Kind() == reflect.Struct {
		// encoding/json stops at the first value its type's UnmarshalJSON
		// refuses; the rest is decoded key by key.
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil {
			for _, k := range slices.Sorted(maps.Keys(m)) {
				one, _ := json.Marshal(map[string]json.RawMessage{k: m[k]})
				_ = json.Unmarshal(one, v) // its fault is in JSONProblems
			}
		}
	}
	problems = JSONProblems(b, v)
	if err != nil && len(problems) == 0 {
		// A value of the wrong type, say: encoding/json names the field by
		// its path, after the Go type that holds it.
		problems = append(problems, goStructField.ReplaceAllString(strings.TrimPrefix(err.Error(), "json: "), ""))
	}
	return problems, err == nil
}

var goStructField = regexp.MustCompile(`Go struct field \w+\.`)
