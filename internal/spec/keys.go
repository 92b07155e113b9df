package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/expect"
)

// A key that no field takes is refused, in YAML and in JSON alike: a typo
// such as `aproval:` must never silently drop the approver list. The
// checks below walk the document against the Go type it decodes into, so
// every nesting level is covered and the message names the key's path and
// the closest key that exists.

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	expectationType = reflect.TypeFor[expect.Expectation]()
	durationType    = reflect.TypeFor[Duration]()
)

// JSONProblems lists what decoding the JSON document b into v's type with
// encoding/json would silently drop or refuse: every key no field takes,
// with its path and the nearest key that exists (`unknown key "aproval"
// (did you mean "approval"?)`), and every value a type with its own
// UnmarshalJSON refuses, with its path. Keys are visited in sorted order,
// so the list is the same for the same document. It never fails: a
// document that is not JSON has nothing to list, and decoding it says so.
//
// A workflow input type calls it from its UnmarshalJSON and keeps the list
// for the workflow to refuse with a non-retryable error: decoding itself
// must not fail there, or the workflow fails without naming the setting.
func JSONProblems(b []byte, v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	var out []string
	walkJSON(t, b, "", &out, true)
	return out
}

func walkJSON(t reflect.Type, b []byte, path string, out *[]string, root bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == expectationType {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && len(m) == 1 {
			for _, typ := range slices.Sorted(maps.Keys(m)) {
				if msg := unsupportedExpectation(typ); msg != "" {
					*out = append(*out, fmt.Sprintf("%s: %s", path, msg))
					return
				}
			}
		}
	}
	if !root && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		// The type checks its own format; its complaint is given the path.
		if err := json.Unmarshal(b, reflect.New(t).Interface()); err != nil {
			*out = append(*out, fmt.Sprintf("%s: %v%s", path, err, durationHint(path, err)))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := fields.lookup(k)
			if !ok {
				*out = append(*out, unknownKey(path, k, fields.names))
				continue
			}
			walkJSON(f, m[k], join(path, k), out, false)
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return
		}
		for i, item := range items {
			walkJSON(t.Elem(), item, fmt.Sprintf("%s[%d]", path, i), out, false)
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if t.Key().Kind() != reflect.String || json.Unmarshal(b, &m) != nil {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			walkJSON(t.Elem(), m[k], join(path, k), out, false)
		}
	}
}

// yamlProblems lists what decoding a YAML node into a value of type t
// would drop or refuse, each with where it was written: every key no field
// takes, an expectation mlpipe does not run, a duration that does not
// parse. (Other values are checked as they decode.)
func yamlProblems(t reflect.Type, n *yaml.Node, path string, src *sources) []string {
	var out []string
	walkYAML(t, n, path, src, &out)
	return out
}

func walkYAML(t reflect.Type, n *yaml.Node, path string, src *sources, out *[]string) {
	n = resolveAlias(n)
	if n == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == expectationType {
		if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
			if msg := unsupportedExpectation(n.Content[0].Value); msg != "" {
				*out = append(*out, fmt.Sprintf("%s: %s: %s", src.where(n.Content[0]), path, msg))
			}
		}
		return
	}
	if t == reflect.TypeFor[Stages]() {
		// Stages decode themselves from a mapping of name to stage, and
		// check each stage's keys; the stage's values are walked here.
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				walkYAML(reflect.TypeFor[Stage](), n.Content[i+1], join(path, n.Content[i].Value), src, out)
			}
		}
		return
	}
	if t == durationType {
		// Checked here, where the setting's path is known, so the message
		// can name the setting and its own maximum.
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			if _, err := ParseDuration(n.Value); err != nil {
				*out = append(*out, fmt.Sprintf("%s: %s: %v%s", src.where(n), path, err, durationHint(path, err)))
			}
		}
		return
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				// A merge key brings in a mapping's keys, or a list's.
				merged := resolveAlias(v)
				if merged.Kind == yaml.SequenceNode {
					for _, c := range merged.Content {
						walkYAML(t, c, path, src, out)
					}
				} else {
					walkYAML(t, merged, path, src, out)
				}
				continue
			}
			f, ok := fields.lookup(k.Value)
			if !ok {
				if !fields.inlineMap {
					*out = append(*out, src.where(k)+": "+unknownKey(path, k.Value, fields.names))
				}
				continue
			}
			walkYAML(f, v, join(path, k.Value), src, out)
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			walkYAML(t.Elem(), c, fmt.Sprintf("%s[%d]", path, i), src, out)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkYAML(t.Elem(), n.Content[i+1], join(path, n.Content[i].Value), src, out)
		}
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fieldSet is the keys a struct takes, in declaration order.
type fieldSet struct {
	names []string
	types []reflect.Type
	// fold matches keys case-insensitively, as encoding/json does.
	fold bool
	// inlineMap is set when an inlined map takes every other key.
	inlineMap bool
}

func (f fieldSet) lookup(key string) (reflect.Type, bool) {
	if i := slices.Index(f.names, key); i >= 0 {
		return f.types[i], true
	}
	if f.fold {
		for i, n := range f.names {
			if strings.EqualFold(n, key) {
				return f.types[i], true
			}
		}
	}
	return nil, false
}

func jsonFields(t reflect.Type) fieldSet {
	fs := fieldSet{fold: true}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				inner := jsonFields(ft)
				fs.names = append(fs.names, inner.names...)
				fs.types = append(fs.types, inner.types...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		fs.names = append(fs.names, tag)
		fs.types = append(fs.types, f.Type)
	}
	return fs
}

func yamlFields(t reflect.Type) fieldSet {
	var fs fieldSet
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			switch f.Type.Kind() {
			case reflect.Map:
				fs.inlineMap = true
			case reflect.Struct:
				inner := yamlFields(f.Type)
				fs.names = append(fs.names, inner.names...)
				fs.types = append(fs.types, inner.types...)
				fs.inlineMap = fs.inlineMap || inner.inlineMap
			}
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		fs.names = append(fs.names, tag)
		fs.types = append(fs.types, f.Type)
	}
	return fs
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
