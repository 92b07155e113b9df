package frame

import (
	"fmt"
	"strings"
)

// Kind is the type of a column's values.
type Kind int

// The column kinds. Float is the zero value because numbers are the common case.
const (
	Float Kind = iota
	String
	Time
)

// String returns the name users write in specs: "float", "string" or "time".
func (k Kind) String() string {
	switch k {
	case Float:
		return "float"
	case String:
		return "string"
	case Time:
		return "time"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind accepts the spellings users are likely to write in a spec.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float", "number", "int", "integer", "double":
		return Float, nil
	case "string", "str", "category", "categorical", "text":
		return String, nil
	case "time", "timestamp", "datetime", "date":
		return Time, nil
	}
	return 0, fmt.Errorf("unknown column kind %q: use float, string or time", s)
}

// MarshalText writes the kind by name so JSON and YAML carry "float", not 0.
func (k Kind) MarshalText() ([]byte, error) {
	if k < Float || k > Time {
		return nil, fmt.Errorf("invalid column kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads any spelling ParseKind accepts.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
