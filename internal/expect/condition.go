package expect

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// forbidden are SQL words that start a statement or a subquery: a
// row_condition is one boolean expression over the row's columns.
var forbidden = map[string]bool{
	"select": true, "from": true, "with": true, "union": true, "intersect": true, "except": true,
	"insert": true, "update": true, "delete": true, "create": true, "drop": true, "alter": true,
	"attach": true, "detach": true, "copy": true, "pragma": true, "install": true, "load": true,
	"call": true, "set": true, "export": true, "import": true,
}

// checkCondition refuses a row_condition that is not a single SQL
// expression: a ';', a comment, a subquery or statement keyword, an
// unbalanced parenthesis or quote. Whether it binds to the data's columns
// and is boolean is checked against the data before scanning.
func checkCondition(cond string) error {
	if strings.TrimSpace(cond) == "" {
		return fmt.Errorf("is empty; write a SQL boolean expression over column names, e.g. plan = 'basic' AND tenure > 12")
	}
	depth := 0
	var word strings.Builder
	flush := func() error {
		w := strings.ToLower(word.String())
		word.Reset()
		if forbidden[w] {
			return fmt.Errorf("%q may not contain %s: write a single boolean expression over column names, with no subquery or statement", cond, strings.ToUpper(w))
		}
		return nil
	}
	rs := []rune(cond)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\'' || r == '"' {
			if err := flush(); err != nil {
				return err
			}
			end := closing(rs, i)
			if end < 0 {
				return fmt.Errorf("%q has an unclosed %c quote", cond, r)
			}
			i = end
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			word.WriteRune(r)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		switch {
		case r == ';':
			return fmt.Errorf("%q may not contain ';': write a single boolean expression", cond)
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-', r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			return fmt.Errorf("%q may not contain a comment", cond)
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("%q has a ')' with no '(' before it", cond)
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if depth != 0 {
		return fmt.Errorf("%q has an unclosed '('", cond)
	}
	return nil
}

// closing finds the quote that closes the one at rs[i]; a doubled quote
// inside is an escaped one. It returns -1 when there is none.
func closing(rs []rune, i int) int {
	q := rs[i]
	for j := i + 1; j < len(rs); j++ {
		if rs[j] != q {
			continue
		}
		if j+1 < len(rs) && rs[j+1] == q {
			j++
			continue
		}
		return j
	}
	return -1
}

// families maps the type_ names users write (Great Expectations' pandas and
// SQL spellings, mlpipe's kinds, DuckDB's names) to a type family.
var families = map[string]string{
	"float": "numeric", "float64": "numeric", "float32": "numeric", "double": "numeric", "real": "numeric",
	"int": "numeric", "int64": "numeric", "int32": "numeric", "integer": "numeric", "bigint": "numeric",
	"number": "numeric", "numeric": "numeric", "decimal": "numeric",
	"string": "string", "str": "string", "object": "string", "varchar": "string", "text": "string",
	"category": "string",
	"time":     "time", "timestamp": "time", "datetime": "time", "datetime64": "time", "datetime64[ns]": "time",
	"timestamp with time zone": "time", "timestamptz": "time", "date": "time",
	"bool": "boolean", "boolean": "boolean",
}

func typeFamily(name string) (string, bool) {
	f, ok := families[strings.ToLower(strings.TrimSpace(name))]
	return f, ok
}

func typeNames() []string {
	return []string{"float", "int", "string", "time", "bool"}
}

// sqlFamily is the type family of a DuckDB column type.
func sqlFamily(sqlType string) string {
	t := strings.ToUpper(sqlType)
	switch {
	case strings.HasPrefix(t, "DECIMAL"), t == "DOUBLE", t == "FLOAT", t == "REAL",
		strings.HasSuffix(t, "INT"), t == "INTEGER", t == "BIGINT", t == "SMALLINT", t == "TINYINT",
		t == "HUGEINT", t == "UBIGINT", t == "UINTEGER", t == "USMALLINT", t == "UTINYINT", t == "UHUGEINT":
		return "numeric"
	case t == "VARCHAR", strings.HasPrefix(t, "VARCHAR"):
		return "string"
	case strings.HasPrefix(t, "TIMESTAMP"), t == "DATE":
		return "time"
	case t == "BOOLEAN":
		return "boolean"
	}
	return strings.ToLower(t)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
