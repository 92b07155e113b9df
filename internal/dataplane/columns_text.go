package dataplane

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// strings scatters a page of text. Dictionary values become strings once
// per dictionary; a plain page's values kept by some part are copied into
// one string whose substrings they become, so a page costs one
// allocation, not one a value. Up to maxInterned distinct values per
// column are shared, as the row reader shares them.
func (j *columnJob) strings(p parquet.Page, defs []byte, sel []int8, cursor []int, present int) error {
	rows := int(p.NumRows())
	var idx []int32
	var data []byte
	var offs []uint32
	if d := p.Dictionary(); d != nil {
		if d != j.dict {
			j.dict = d
			dv := d.Page().Data()
			vals, o := dv.ByteArray()
			if len(o) != d.Len()+1 {
				return fmt.Errorf("a dictionary of %d values with %d offsets", d.Len(), len(o))
			}
			j.dictStrs = j.dictStrs[:0]
			for k := 0; k < d.Len(); k++ {
				j.dictStrs = append(j.dictStrs, j.intern(vals[o[k]:o[k+1]]))
			}
		}
		data := p.Data()
		idx = data.Int32()
		if err := j.count(len(idx), present); err != nil {
			return err
		}
	} else {
		values := p.Data()
		data, offs = values.ByteArray()
		if len(offs) != present+1 {
			return fmt.Errorf("%d offsets for %d present rows", len(offs), present)
		}
	}
	j.buf, j.pend = j.buf[:0], j.pend[:0]
	v := 0
	for k := 0; k < rows; k++ {
		ok := len(defs) == 0 || defs[k] != 0
		q := 0
		if sel != nil {
			q = int(sel[k])
		}
		if q >= 0 {
			if c := j.dst[q]; c != nil {
				at := cursor[q]
				switch {
				case !ok:
					c.Null[at] = true
				case idx != nil:
					x := idx[v]
					if x < 0 || int(x) >= len(j.dictStrs) {
						return fmt.Errorf("dictionary index %d of %d", x, len(j.dictStrs))
					}
					c.Strings[at] = j.dictStrs[x]
				default:
					b := data[offs[v]:offs[v+1]]
					if s, hit := j.interned[string(b)]; hit {
						c.Strings[at] = s
					} else {
						j.pend = append(j.pend, pending{dst: c, at: at, start: len(j.buf), end: len(j.buf) + len(b)})
						j.buf = append(j.buf, b...)
					}
				}
			}
			cursor[q]++
		}
		if ok {
			v++
		}
	}
	if len(j.pend) == 0 {
		return nil
	}
	// A fresh copy: j.buf is reused by the next page.
	whole := string(j.buf)
	for _, w := range j.pend {
		s := whole[w.start:w.end]
		if len(j.interned) < maxInterned {
			if t, hit := j.interned[s]; hit {
				s = t
			} else {
				j.interned[s] = s
			}
		}
		w.dst.Strings[w.at] = s
	}
	return nil
}

// intern returns b as a string, shared with earlier equal values while
// the column has fewer than maxInterned distinct ones.
func (j *columnJob) intern(b []byte) string {
	if s, ok := j.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(j.interned) < maxInterned {
		j.interned[s] = s
	}
	return s
}
