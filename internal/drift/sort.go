package drift

import (
	"math"
	"slices"
	"sync"
)

// radixPool keeps the sort's scratch (two uint64 per value) between calls,
// so a window of many features does not allocate it per feature.
var radixPool = sync.Pool{New: func() any { return new([]uint64) }}

// radixMin is the length below which a comparison sort is faster.
const radixMin = 1 << 12

// The radix sort counts in int32.
const radixMax = math.MaxInt32

// sortFloats sorts finite xs ascending. Windows reach millions of values,
// and an LSD radix sort on the order-preserving bit pattern of a float64 is
// several times faster there than a comparison sort; input already sorted
// costs one pass.
func sortFloats(xs []float64) {
	if slices.IsSorted(xs) {
		return
	}
	if len(xs) < radixMin || len(xs) > radixMax {
		slices.Sort(xs)
		return
	}
	scratch := radixPool.Get().(*[]uint64)
	defer radixPool.Put(scratch)
	if cap(*scratch) < 2*len(xs) {
		*scratch = make([]uint64, 2*len(xs))
	}
	keys, tmp := (*scratch)[:len(xs)], (*scratch)[len(xs):2*len(xs)]
	for i, v := range xs {
		b := math.Float64bits(v)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	// Six passes of 11 bits, their histograms counted in one read.
	const bits, passes = 11, 6
	var count [passes][1 << bits]int32
	for _, k := range keys {
		for p := range passes {
			count[p][(k>>(p*bits))&(1<<bits-1)]++
		}
	}
	for p := range passes {
		shift := uint(p * bits)
		c := &count[p]
		if int(c[(keys[0]>>shift)&(1<<bits-1)]) == len(keys) {
			continue // every key has this digit: the pass would not move anything
		}
		pos := int32(0)
		for d := range c {
			n := c[d]
			c[d] = pos
			pos += n
		}
		for _, k := range keys {
			d := (k >> shift) & (1<<bits - 1)
			tmp[c[d]] = k
			c[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		xs[i] = math.Float64frombits(b)
	}
}
