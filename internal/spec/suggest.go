package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/suggest"

	"github.com/mlpipe/mlpipe/internal/expect"
)

// unknownKey says that key is not taken at path, naming the nearest key
// that is, or else every key that is.
func unknownKey(path, key string, known []string) string {
	msg := fmt.Sprintf("unknown key %q", join(path, key))
	if s := suggest.Closest(key, known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	where := path
	if where == "" {
		where = "a pipeline spec"
	}
	return msg + fmt.Sprintf("; %s takes %s", where, strings.Join(known, ", "))
}

// unsupportedExpectation says what to use instead of an expectation type
// mlpipe does not run, or "" for a supported one.
func unsupportedExpectation(typ string) string {
	types := expect.Types()
	if slices.Contains(types, typ) {
		return ""
	}
	msg := fmt.Sprintf("%s is not a supported expectation", typ)
	if s := suggest.Closest(typ, types); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return msg + "; the supported ones are " + strings.Join(types, ", ")
}
