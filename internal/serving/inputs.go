package serving

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// inputSchema is what one loaded version reads, indexed for the request
// path. It is nil for a Predictor that does not list its inputs, whose
// rows go through unchecked.
type inputSchema struct {
	inputs []Input
	index  map[string]int
}

func newInputSchema(p Predictor) *inputSchema {
	il, ok := p.(InputLister)
	if !ok {
		return nil
	}
	sc := &inputSchema{inputs: slices.Clone(il.InputColumns())}
	sc.index = make(map[string]int, len(sc.inputs))
	for i, in := range sc.inputs {
		sc.index[in.Name] = i
	}
	return sc
}

// knownKeys are the row keys a model's requests may carry without
// "strict": false: what any of its loaded versions reads, and the field
// the routing pins callers by.
func knownKeys(sticky string, variants ...*variant) map[string]bool {
	known := map[string]bool{}
	for _, v := range variants {
		if v != nil && v.schema != nil {
			for _, in := range v.schema.inputs {
				known[in.Name] = true
			}
		}
	}
	if sticky != "" {
		known[sticky] = true
	}
	return known
}

// protocol says how a refusal names rows and columns: /v1 rows are
// "instances[3]", /v2 columns are inputs and rows their elements.
type protocol int

const (
	protoV1 protocol = iota
	protoV2
)

// where names one value for a message.
func (p protocol) where(row int, column string) string {
	if p == protoV2 {
		return fmt.Sprintf("input %q, element %d", column, row)
	}
	return fmt.Sprintf("instances[%d].%s", row, column)
}

// maxNamed caps the unknown keys a request reports, so a request with a
// different stray key per row cannot make a huge answer.
const maxNamed = 20

// inputCheck is what is wrong with a request's rows, gathered in one pass.
type inputCheck struct {
	rows      int
	missing   []bool // by input position, over all rows
	missingIn int    // rows that miss a column
	firstMiss int
	unknown   []string // sorted by checkRows; at most maxNamed
	moreUnk   int      // distinct unknown keys beyond maxNamed
	bad       *RowError
}

// checkRows checks rows against the schema of the version that answers and
// the keys the model knows. It allocates nothing for a request that passes.
func checkRows(sc *inputSchema, known map[string]bool, rows []map[string]any) *inputCheck {
	var c *inputCheck
	for i, row := range rows {
		found, missed := 0, false
		for j := range sc.inputs {
			in := &sc.inputs[j]
			v, ok := row[in.Name]
			if !ok {
				c = c.orNew(len(rows))
				if c.missing == nil {
					c.missing = make([]bool, len(sc.inputs))
				}
				c.missing[j] = true
				if !missed {
					missed = true
					c.missingIn++
					if c.firstMiss < 0 {
						c.firstMiss = i
					}
				}
				continue
			}
			found++
			if in.Type == InputNumber && (c == nil || c.bad == nil) {
				if reason := notFinite(v); reason != "" {
					c = c.orNew(len(rows))
					c.bad = &RowError{Row: i, Column: in.Name, Reason: reason}
				}
			}
		}
		if len(row) > found {
			for k := range row {
				if _, ok := sc.index[k]; ok || known[k] {
					continue
				}
				c = c.orNew(len(rows))
				c.addUnknown(k)
			}
		}
	}
	if c != nil {
		slices.Sort(c.unknown)
	}
	return c
}

func (c *inputCheck) orNew(rows int) *inputCheck {
	if c != nil {
		return c
	}
	return &inputCheck{rows: rows, firstMiss: -1}
}

func (c *inputCheck) addUnknown(k string) {
	if slices.Contains(c.unknown, k) {
		return
	}
	if len(c.unknown) == maxNamed {
		c.moreUnk++ // may count a key twice past the cap; it is only a hint
		return
	}
	c.unknown = append(c.unknown, k)
}

// notFinite says why a value for a numeric column is not a finite number,
// or "" when it is one (or is not a number at all, which the model's own
// transform refuses). Strings are parsed as the transform parses them.
func notFinite(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprintf("%v is not a finite number", x)
		}
	case string:
		if x == "" || !maybeNonFinite(x) {
			return ""
		}
		if f, err := strconv.ParseFloat(x, 64); (err == nil || isRange(err)) && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return fmt.Sprintf("%q is not a finite number", x)
		}
	}
	return ""
}

// maybeNonFinite is a cheap filter before ParseFloat: a non-finite
// spelling has an i or n ("Inf", "NaN") or an exponent ("1e999").
func maybeNonFinite(s string) bool {
	return strings.ContainsAny(s, "iInNeE")
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// missingNames lists the missing columns in model order.
func (c *inputCheck) missingNames(sc *inputSchema) []string {
	var out []string
	for j, m := range c.missing {
		if m {
			out = append(out, sc.inputs[j].Name)
		}
	}
	return out
}

// keyProblem is the 400 for missing or unknown keys, or nil when the keys
// are fine (unknown ones are fine when the request is not strict).
func (c *inputCheck) keyProblem(sc *inputSchema, p protocol, strict bool) *apiError {
	missing := c.missingNames(sc)
	unknown := c.unknown
	if !strict {
		unknown = nil
	}
	if len(missing) == 0 && len(unknown) == 0 {
		return nil
	}
	guess := didYouMean(unknown, missing, sc)
	var parts []string
	if len(missing) > 0 {
		switch {
		case p == protoV2:
			parts = append(parts, "missing inputs the model takes: "+strings.Join(missing, ", "))
		case c.rows == 1:
			parts = append(parts, "instances[0] misses columns the model takes: "+strings.Join(missing, ", "))
		default:
			parts = append(parts, fmt.Sprintf("%d of %d rows miss columns the model takes (the first is instances[%d]): %s",
				c.missingIn, c.rows, c.firstMiss, strings.Join(missing, ", ")))
		}
	}
	if len(unknown) > 0 {
		what := "keys"
		if p == protoV2 {
			what = "inputs"
		}
		s := fmt.Sprintf("%s the model does not take: %s", what, quoteList(unknown))
		if c.moreUnk > 0 {
			s += fmt.Sprintf(" and %d more", c.moreUnk)
		}
		parts = append(parts, s)
	}
	msg := strings.Join(parts, "; ")
	if len(guess) > 0 {
		var g []string
		for _, k := range unknown {
			if m, ok := guess[k]; ok {
				g = append(g, fmt.Sprintf("%q for %q", m, k))
			}
		}
		msg += " (did you mean " + strings.Join(g, ", ") + "?)"
	}
	msg += ". " + howToSend(sc, p)
	body := errorBody{Error: msg, Missing: missing, Unknown: unknown, DidYouMean: guess, Inputs: sc.inputs}
	if p == protoV1 && len(missing) > 0 {
		body.Row = &c.firstMiss
	}
	return &apiError{code: 400, body: body}
}

// howToSend is the remedy every key refusal ends with.
func howToSend(sc *inputSchema, p protocol) string {
	cols := make([]string, len(sc.inputs))
	for i, in := range sc.inputs {
		cols[i] = in.Name + " (" + in.Type + ")"
	}
	if p == protoV2 {
		return "Send one input per column the model takes: " + strings.Join(cols, ", ") +
			`; a null element means the value is unknown and the model imputes it as it was trained to; ` +
			`"parameters": {"strict": false} ignores inputs the model does not take`
	}
	return "Send every column the model takes in every row: " + strings.Join(cols, ", ") +
		`; send null for a value you do not know and the model imputes it as it was trained to; ` +
		`"strict": false beside "instances" ignores keys the model does not take`
}

// valueProblem is the 400 for a value the model cannot take.
func valueProblem(e *RowError, p protocol, prefix string) *apiError {
	row := e.Row
	msg := prefix + p.where(e.Row, e.Column) + ": " + e.Reason
	if !strings.Contains(e.Reason, "send") {
		msg += "; send a finite number, or null for a value you do not know"
	}
	return &apiError{code: 400, body: errorBody{Error: msg, Row: &row, Column: e.Column}}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// didYouMean pairs unknown keys with the column they most likely meant:
// the same name in another case or spelling, or one or two letters off.
// Missing columns are preferred, since that is where a misspelt key leaves
// a gap.
func didYouMean(unknown, missing []string, sc *inputSchema) map[string]string {
	if len(unknown) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, k := range unknown {
		if m := closest(k, missing); m != "" {
			out[k] = m
		} else if m := closest(k, inputNames(sc)); m != "" {
			out[k] = m
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func inputNames(sc *inputSchema) []string {
	out := make([]string, len(sc.inputs))
	for i, in := range sc.inputs {
		out[i] = in.Name
	}
	return out
}

// closest is the candidate nearest to key, or "" when none is near.
func closest(key string, candidates []string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' || r == ' ' || r == '.' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	nk := norm(key)
	best, bestD := "", 3 // at most two edits
	for _, c := range candidates {
		nc := norm(c)
		if nc == nk {
			return c
		}
		if d := editDistance(nk, nc); d < bestD && d < max(len(nk), len(nc))/2 {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
