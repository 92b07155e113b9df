package frame

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

func parseColumn(name string, kind Kind, cells []string) (*Column, error) {
	n := len(cells)
	c := &Column{Name: name, Kind: kind, Null: make([]bool, n)}
	switch kind {
	case Float:
		c.Floats = make([]float64, n)
		var nonFinite *cellError
		count := 0
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, &cellError{row: i, msg: fmt.Sprintf("%q is not a number", s)}
			}
			// Go reads "Inf", "NAN" and 1e999 as numbers a model cannot
			// use; keep going, as a later word would make this a string
			// column after all.
			if math.IsInf(v, 0) || math.IsNaN(v) {
				if count++; nonFinite == nil {
					nonFinite = &cellError{row: i, msg: nonFiniteText(s, v), nonFinite: true}
				}
				continue
			}
			c.Floats[i] = v
		}
		if nonFinite != nil {
			if count > 1 {
				nonFinite.msg += fmt.Sprintf(" (%d cells like it in this column; the first is shown)", count)
			}
			return nil, nonFinite
		}
	case String:
		c.Strings = make([]string, n)
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			c.Strings[i] = s
		}
	case Time:
		c.Times = make([]time.Time, n)
		for i, s := range cells {
			if IsNullToken(s) {
				c.Null[i] = true
				continue
			}
			t, err := ParseTime(s)
			if err != nil {
				return nil, &cellError{row: i, msg: err.Error()}
			}
			c.Times[i] = t
		}
	default:
		return nil, fmt.Errorf("unknown kind %d", int(kind))
	}
	return c, nil
}

func nonFiniteText(s string, v float64) string {
	what := "is not a finite number"
	if math.IsInf(v, 0) && !looksInfinite(s) {
		what = "is too large for a 64-bit float (beyond ±1.8e308)"
	}
	return fmt.Sprintf("%q %s, and a model cannot learn from infinities or NaN; if the cell means missing, write it as %s, otherwise fix the value",
		s, what, NullTokensText)
}

// looksInfinite reports whether s spells infinity rather than overflowing.
func looksInfinite(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 'i' || s[i] == 'I' {
			return true
		}
	}
	return false
}
