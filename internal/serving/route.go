package serving

import (
	"fmt"
	"hash/fnv"
	"net/http"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// HeaderRouteKey pins a caller to one variant when the routing has no
// sticky field (or the rows lack it).
const HeaderRouteKey = "X-Route-Key"

// HeaderModelVariant names the variant that answered a prediction.
const HeaderModelVariant = "X-Model-Variant"

// pick chooses who answers a request with routing key key, and whether the
// shadow should also score it.
func (s *served) pick(key string) (answer *variant, mirror bool) {
	c := s.candidate
	if c == nil {
		return s.production, false
	}
	b := bucket(key)
	switch s.routing.Mode {
	case routing.ModeCanary:
		if b < s.routing.Weight {
			return c, false
		}
	case routing.ModeShadow:
		return s.production, b < s.routing.Mirror
	}
	return s.production, false
}

// routeKey is what pins a request to a variant: the sticky field of the
// first row, else the X-Route-Key header, else the request ID (so requests
// without a key are spread at random).
func routeKey(r *http.Request, rt routing.Routing, rows []map[string]any) string {
	if rt.StickyKey != "" && len(rows) > 0 {
		switch v := rows[0][rt.StickyKey].(type) {
		case nil:
		case string:
			return v
		default:
			return fmt.Sprint(v) // JSON numbers are float64 in both APIs, so 42 is "42" either way
		}
	}
	if k := r.Header.Get(HeaderRouteKey); k != "" {
		return k
	}
	return requestID(r)
}

// bucket hashes key into [0,100) in steps of 0.01. FNV-1a alone leaves
// similar keys ("user-1", "user-2") close together in the low bits, so its
// result is put through a 64-bit finalizer (MurmurHash3's fmix64) first.
func bucket(key string) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key)) // hash.Hash never fails
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return float64(x%10000) / 100
}
