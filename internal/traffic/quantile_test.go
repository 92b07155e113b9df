package traffic

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestQuantileIsNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 50*time.Millisecond, quantile(lat, 0.50))
	assert.Equal(t, 99*time.Millisecond, quantile(lat, 0.99))
	assert.Equal(t, 7*time.Millisecond, quantile([]time.Duration{7 * time.Millisecond}, 0.99))
	assert.Equal(t, time.Duration(0), quantile(nil, 0.5))
	// Three values: p50 is the 2nd (ceil(1.5)), p99 the 3rd.
	three := []time.Duration{1, 2, 3}
	assert.Equal(t, time.Duration(2), quantile(three, 0.50))
	assert.Equal(t, time.Duration(3), quantile(three, 0.99))
}
