package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A setting left out takes its default, and in Go a 0 cannot be told from
// a setting left out. Written out, though, a 0 is a choice: `n_iter: 0`
// must not quietly become 10 trials. These settings' zeros are found in
// the document, before decoding, and Validate says what to write instead.

// defaultedZero is a setting whose 0 would be read as its default.
type defaultedZero struct {
	path string
	// fix says what to write instead.
	fix string
}

var defaultedZeros = []defaultedZero{
	{"search.n_iter", "give the number of trials to sample (at least 1), or leave n_iter out for the default 10"},
	{"search.cv", "give the number of folds (at least 2), or leave cv out for the default 5"},
	{"search.max_parallel", "give how many fits to schedule at once (at least 1), or leave max_parallel out for the default 16"},
	{"hyperparameters.epochs", "give the number of epochs (at least 1), or leave epochs out for the default 30 (100 iterations with lbfgs)"},
	{"hyperparameters.batch_size", "give the mini-batch size (at least 1), or leave batch_size out for the default 256"},
	{"hyperparameters.learning_rate", "give a step size above 0 (try 0.001 to 0.1), or leave learning_rate out for the default 0.05 (0.3 for kind gradient_boosting)"},
	{"hyperparameters.n_estimators", "give the number of boosting rounds of kind gradient_boosting (at least 1), or leave n_estimators out for the default 100"},
	{pathMaxDepth, "give the tree depth of kind gradient_boosting (at least 1), null (None) for unlimited depth, or leave max_depth out for the default 6"},
	{"hyperparameters.subsample", "give the share of rows each tree of kind gradient_boosting sees (above 0, at most 1), or leave subsample out for the default 1"},
	{"hyperparameters.colsample_bytree", "give the share of columns each tree of kind gradient_boosting may split on (above 0, at most 1), or leave colsample_bytree out for the default 1"},
	{"hyperparameters.max_bin", "give the most histogram bins per feature of kind gradient_boosting (2 to 65536), or leave max_bin out for the default 256"},
	{"evaluation.bootstrap", "give the number of resamples, -1 to turn the intervals off, or leave bootstrap out for the default 1000"},
	{"evaluation.threshold", "give a probability between 0 and 1, or leave threshold out for the default 0.5"},
	{"approval.timeout", "a timeout of 0 would refuse every approval at once; give a duration such as 72h, or leave timeout out for the default 72h"},
	{"deployment.analysis_interval", "give how often to analyse, such as 1h, or leave analysis_interval out for the default 1h"},
	{"deployment.failure_limit", "give how many failed analyses in a row roll back (at least 1), or leave failure_limit out for the default 2"},
	{"deployment.mirror", "give the percentage of requests to mirror (above 0, at most 100), or leave mirror out for the default 100"},
	{"deployment.window", "give how long the shadow runs, such as 24h, or leave window out for the default 24h"},
	{"deployment.continue_as_new_at", "give the history length (100 to 10000 events) at which a rollout hands over to a new run, or leave continue_as_new_at out for the default 2000"},
	// test_size 0 means no held-out split, which only data.test_source
	// can make up for; Validate decides.
	{pathTestSize, ""},
}

const pathTestSize = "features.split.test_size"

// pathMaxDepth's null is unlimited depth, which JSON writes as null.
const pathMaxDepth = "hyperparameters.max_depth"

// stageZeros are per-stage settings whose 0 would be read as the default.
var stageZeros = []defaultedZero{
	{"timeout", "give a duration such as 30m, or leave timeout out for the stage's default"},
	{"retries", "give the number of attempts (1 means no retry), or leave retries out for the default 5"},
	{"heartbeat", "give a duration such as 1m, or leave heartbeat out for the default 1m"},
}

// zeroProblem says what to write instead of a 0 at path.
func zeroProblem(path string) string {
	fix := ""
	if i := slices.IndexFunc(defaultedZeros, func(z defaultedZero) bool { return z.path == path }); i >= 0 {
		fix = defaultedZeros[i].fix
	} else if _, key, ok := cutLast(path); ok {
		if i := slices.IndexFunc(stageZeros, func(z defaultedZero) bool { return z.path == key }); i >= 0 {
			fix = stageZeros[i].fix
		}
	}
	return fmt.Sprintf("%s is 0; %s", path, fix)
}

func cutLast(path string) (string, string, bool) {
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// yamlZeros lists the defaulted settings written as 0 in n, a mapping that
// sits at path under (the spec itself for "", or a params file's
// hyperparameters or search).
func yamlZeros(n *yaml.Node, under string) []string {
	var out []string
	for _, z := range defaultedZeros {
		rel, ok := strings.CutPrefix(z.path, under)
		if under != "" && (!ok || !strings.HasPrefix(rel, ".")) {
			continue
		}
		rel = strings.TrimPrefix(rel, ".")
		v := n
		for _, k := range strings.Split(rel, ".") {
			if v = valueOfMapping(v, k); v == nil {
				break
			}
		}
		if v != nil && yamlIsZero(v) {
			out = append(out, z.path)
		}
	}
	if under == "" {
		if stages := valueOfMapping(n, "stages"); stages != nil && stages.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(stages.Content); i += 2 {
				for _, z := range stageZeros {
					if v := valueOfMapping(stages.Content[i+1], z.path); v != nil && yamlIsZero(v) {
						out = append(out, "stages."+stages.Content[i].Value+"."+z.path)
					}
				}
			}
		}
	}
	return out
}

func valueOfMapping(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return valueOf(n, key)
}

func yamlIsZero(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return false
	}
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return f == 0
	}
	d, err := ParseDuration(n.Value)
	return err == nil && d == 0 && n.Value != ""
}

// jsonZeros lists the defaulted settings written as 0 in the JSON input.
// Only settings that encoding/json leaves out when 0 (omitempty) count: a
// Go caller that encodes a spec it never filled in writes every other 0.
func jsonZeros(b []byte) []string {
	var out []string
	for _, z := range defaultedZeros {
		path := strings.Split(z.path, ".")
		if !omitsZero(reflect.TypeFor[Pipeline](), path) {
			continue
		}
		raw, ok := jsonAt(b, path...)
		if z.path == pathMaxDepth && string(bytes.TrimSpace(raw)) == "null" {
			continue // unlimited depth, not a 0
		}
		if ok && isJSONZero(raw) {
			out = append(out, z.path)
		}
	}
	raw, ok := jsonAt(b, "stages")
	var stages []map[string]json.RawMessage
	if !ok || json.Unmarshal(raw, &stages) != nil {
		return out
	}
	for i, st := range stages {
		var name string
		if json.Unmarshal(st["name"], &name) != nil || name == "" {
			name = strconv.Itoa(i)
		}
		for _, z := range stageZeros {
			if v, ok := st[z.path]; ok && isJSONZero(v) {
				out = append(out, "stages."+name+"."+z.path)
			}
		}
	}
	return out
}

// omitsZero reports whether the field at the JSON path through t is
// written with omitempty.
func omitsZero(t reflect.Type, path []string) bool {
	for i, key := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		f, ok := fieldByJSONName(t, key)
		if !ok {
			return false
		}
		if i == len(path)-1 {
			_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			return slices.Contains(strings.Split(opts, ","), "omitempty")
		}
		t = f.Type
	}
	return false
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonAt reports whether the JSON object b has a value at the dotted path
// (object keys only), and returns it.
func jsonAt(b []byte, path ...string) (json.RawMessage, bool) {
	raw := json.RawMessage(b)
	for _, k := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		v, ok := m[k]
		if !ok {
			return nil, false
		}
		raw = v
	}
	return raw, true
}

// isJSONZero reports whether raw is the number 0 or an empty string.
func isJSONZero(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f == 0
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" {
		return false
	}
	d, err := ParseDuration(s)
	return err == nil && d == 0
}
