package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// columnJob reads one column of the file into every part that reads it.
type columnJob struct {
	index int
	name  string
	codec codec
	// dst is the column of each part, nil where the part does not read it.
	dst []*frame.Column
	seq int

	// Per dictionary, its values converted once.
	dict     parquet.Dictionary
	dictNums []float64
	dictInts []int64
	dictStrs []string
	// interned shares repeated strings, as the row reader does.
	interned map[string]string
	// Scratch, reused from page to page.
	nums []float64
	ints []int64
	vals []parquet.Value
	buf  []byte
	pend []pending
}

// pending is a string value waiting for its page's bytes to become a
// string: dst.Strings[at] = page[start:end].
type pending struct {
	dst        *frame.Column
	at         int
	start, end int
}

// run decodes the column, a row group and a page at a time. A decoding
// failure, or a panic in the Parquet library, makes the file one for the
// row reader rather than an error of its own.
func (j *columnJob) run(ctx context.Context, groups []rowGroup, part []int8) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = notColumnarf("column %q: %v", j.name, r)
		}
	}()
	if j.codec == codecString {
		j.interned = make(map[string]string)
	}
	cursor := make([]int, len(j.dst))
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		copy(cursor, g.start)
		if err := j.group(g, part, cursor); err != nil {
			var nc notColumnar
			if errors.As(err, &nc) {
				return err
			}
			return notColumnarf("column %q, rows %d to %d: %v", j.name, g.first+1, g.first+g.rows, err)
		}
	}
	return nil
}

func (j *columnJob) group(g rowGroup, part []int8, cursor []int) error {
	pages := g.rg.ColumnChunks()[j.index].Pages()
	defer func() { _ = pages.Close() }()
	// A dictionary belongs to its column chunk.
	j.dict = nil
	row := g.first
	end := g.first + g.rows
	for row < end {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return fmt.Errorf("%d rows missing", end-row)
		}
		if err != nil {
			return err
		}
		rows := p.NumRows()
		if rows > end-row {
			parquet.Release(p)
			return fmt.Errorf("a page of %d rows past the group's end", rows)
		}
		var sel []int8
		if part != nil {
			sel = part[row : row+rows]
		}
		err = j.page(p, sel, cursor)
		parquet.Release(p)
		if err != nil {
			return err
		}
		row += rows
	}
	return nil
}

// page scatters one page's values to the parts: row k of the page goes
// to part sel[k] (part 0 when sel is nil), unless that is negative.
func (j *columnJob) page(p parquet.Page, sel []int8, cursor []int) error {
	rows := int(p.NumRows())
	defs := p.DefinitionLevels()
	if len(defs) != 0 && len(defs) != rows {
		return fmt.Errorf("%d definition levels for %d rows", len(defs), rows)
	}
	if len(p.RepetitionLevels()) != 0 {
		return notColumnarf("column %q is repeated", j.name)
	}
	present := rows - int(p.NumNulls())
	if len(defs) == 0 {
		present = rows
	}
	// The present values, in order, in the scratch slice of their kind.
	var err error
	switch j.codec {
	case codecString:
		return j.strings(p, defs, sel, cursor, present)
	case codecTimestamp, codecDate:
		err = j.times(p, present)
	default:
		err = j.floats(p, present)
	}
	if err != nil {
		return err
	}
	isTime := j.codec == codecTimestamp || j.codec == codecDate
	// put stores present value v of the page at row at of c.
	put := func(c *frame.Column, at, v int) {
		if isTime {
			c.Times[at] = time.UnixMicro(j.ints[v]).UTC()
		} else {
			c.Floats[at] = j.nums[v]
		}
	}
	if sel == nil && j.dst[0] != nil {
		// Every row to part 0, the common case: no part to look up.
		c, at := j.dst[0], cursor[0]
		switch {
		case len(defs) == 0 && !isTime:
			copy(c.Floats[at:at+rows], j.nums)
		default:
			v := 0
			for k := range rows {
				if len(defs) != 0 && defs[k] == 0 {
					c.Null[at+k] = true
					continue
				}
				put(c, at+k, v)
				v++
			}
		}
		cursor[0] += rows
		return nil
	}
	v := 0
	for k := range rows {
		ok := len(defs) == 0 || defs[k] != 0
		q := 0
		if sel != nil {
			q = int(sel[k])
		}
		if q >= 0 {
			if c := j.dst[q]; c != nil {
				if ok {
					put(c, cursor[q], v)
				} else {
					c.Null[cursor[q]] = true
				}
			}
			cursor[q]++
		}
		if ok {
			v++
		}
	}
	return nil
}

// floats puts the page's present values, as DuckDB casts them to DOUBLE,
// in j.nums.
func (j *columnJob) floats(p parquet.Page, present int) error {
	j.nums = j.nums[:0]
	if j.codec == codecBool {
		// Booleans are bits; the generic reader gives one value per row.
		if cap(j.vals) < int(p.NumRows()) {
			j.vals = make([]parquet.Value, p.NumRows())
		}
		vals := j.vals[:p.NumRows()]
		n, err := p.Values().ReadValues(vals)
		if err != nil && err != io.EOF {
			return err
		}
		for _, v := range vals[:n] {
			if v.IsNull() {
				continue
			}
			x := 0.0
			if v.Boolean() {
				x = 1
			}
			j.nums = append(j.nums, x)
		}
		return j.count(len(j.nums), present)
	}
	if d := p.Dictionary(); d != nil {
		if d != j.dict {
			j.dict = d
			j.dictNums = appendNums(j.dictNums[:0], j.codec, d.Page().Data())
		}
		data := p.Data()
		for _, x := range data.Int32() {
			if x < 0 || int(x) >= len(j.dictNums) {
				return fmt.Errorf("dictionary index %d of %d", x, len(j.dictNums))
			}
			j.nums = append(j.nums, j.dictNums[x])
		}
	} else {
		j.nums = appendNums(j.nums, j.codec, p.Data())
	}
	return j.count(len(j.nums), present)
}

// appendNums converts values as CAST(x AS DOUBLE) does: exactly for
// FLOAT and the 32-bit integers, rounding to nearest for BIGINT.
func appendNums(dst []float64, c codec, v encoding.Values) []float64 {
	switch c {
	case codecDouble:
		dst = append(dst, v.Double()...)
	case codecFloat:
		for _, x := range v.Float() {
			dst = append(dst, float64(x))
		}
	case codecInt64:
		for _, x := range v.Int64() {
			dst = append(dst, float64(x))
		}
	case codecInt32:
		for _, x := range v.Int32() {
			dst = append(dst, float64(x))
		}
	}
	return dst
}

// dateLimit keeps DATE values to those CAST(d AS TIMESTAMP) turns into
// microseconds without DuckDB's range checks or infinities (about ±270,000
// years); a file with others goes to the row reader.
const dateLimit = 100_000_000

// times puts the page's present values, in microseconds since the epoch
// as CAST(x AS TIMESTAMP) gives them, in j.ints.
func (j *columnJob) times(p parquet.Page, present int) error {
	j.ints = j.ints[:0]
	if d := p.Dictionary(); d != nil {
		if d != j.dict {
			j.dict = d
			var err error
			if j.dictInts, err = j.appendTimes(j.dictInts[:0], d.Page().Data()); err != nil {
				return err
			}
		}
		data := p.Data()
		for _, x := range data.Int32() {
			if x < 0 || int(x) >= len(j.dictInts) {
				return fmt.Errorf("dictionary index %d of %d", x, len(j.dictInts))
			}
			j.ints = append(j.ints, j.dictInts[x])
		}
	} else {
		var err error
		if j.ints, err = j.appendTimes(j.ints, p.Data()); err != nil {
			return err
		}
	}
	return j.count(len(j.ints), present)
}

func (j *columnJob) appendTimes(dst []int64, v encoding.Values) ([]int64, error) {
	if j.codec == codecTimestamp {
		return append(dst, v.Int64()...), nil
	}
	for _, d := range v.Int32() {
		if d > dateLimit || d < -dateLimit {
			return nil, notColumnarf("column %q: date %d days from 1970", j.name, d)
		}
		dst = append(dst, int64(d)*86_400_000_000)
	}
	return dst, nil
}

func (j *columnJob) count(got, want int) error {
	if got != want {
		return fmt.Errorf("%d values for %d present rows", got, want)
	}
	return nil
}
