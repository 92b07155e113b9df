package drift

import (
	"math"
	"sort"
)

// The reference is known by its quantiles q[0..K-1] at probabilities
// k/(K-1). Its CDF is rebuilt piecewise linear between distinct quantiles
// and jumps where quantiles repeat (an atom of the distribution); its
// quantile function is the piecewise linear interpolation of q.

// refCDF returns F(x) (right-continuous) and F(x−) of the rebuilt CDF;
// hi is the largest k with q[k] ≤ x and lo the smallest k with q[k] ≥ x,
// which the caller advances as x grows.
func refCDF(q []float64, x float64, lo, hi *int) (f, fm float64) {
	last := len(q) - 1
	steps := float64(last)
	for *hi < last && q[*hi+1] <= x {
		*hi++
	}
	for *lo < last && q[*lo] < x {
		*lo++
	}
	switch {
	case x < q[0]:
		f = 0
	case x >= q[last]:
		f = 1
	default:
		k := *hi
		f = (float64(k) + (x-q[k])/(q[k+1]-q[k])) / steps
	}
	switch {
	case x <= q[0]:
		fm = 0
	case x > q[last]:
		fm = 1
	default:
		k := *lo
		fm = (float64(k-1) + (x-q[k-1])/(q[k]-q[k-1])) / steps
	}
	return f, fm
}

// ksStatistic is sup |Fn − F| between the empirical CDF of sorted xs and
// the rebuilt reference CDF. Both are monotone and F is continuous away
// from its atoms, so the supremum is reached on either side of a sample
// value or of a reference quantile.
func ksStatistic(q, xs []float64) float64 {
	n := float64(len(xs))
	invN := 1 / n
	last := len(q) - 1
	steps := float64(last)
	// Inside a segment (q[k], q[k+1]) the CDF is linear and continuous:
	// k/steps + (x − q[k])·inv[k]. Values on a quantile take refCDF.
	inv := make([]float64, last)
	for k := range inv {
		if q[k+1] > q[k] {
			inv[k] = 1 / ((q[k+1] - q[k]) * steps)
		}
	}
	d := 0.0
	lo, hi, seg := 0, 0, 0
	for i := 0; i < len(xs); {
		x := xs[i]
		j := i + 1
		for j < len(xs) && xs[j] == x {
			j++
		}
		var f, fm float64
		switch {
		case x < q[0]:
		case x > q[last]:
			f, fm = 1, 1
		default:
			for seg < last-1 && q[seg+1] <= x {
				seg++
			}
			if x == q[seg] || x == q[seg+1] {
				f, fm = refCDF(q, x, &lo, &hi)
			} else {
				f = float64(seg)/steps + (x-q[seg])*inv[seg]
				fm = f
			}
		}
		d = max(d, math.Abs(float64(i)*invN-fm), math.Abs(float64(j)*invN-f))
		i = j
	}
	lo, hi = 0, 0
	for k, x := range q {
		if k > 0 && x == q[k-1] {
			continue
		}
		below := sort.SearchFloat64s(xs, x) // values < x
		atOrBelow := below
		for atOrBelow < len(xs) && xs[atOrBelow] == x {
			atOrBelow++
		}
		f, fm := refCDF(q, x, &lo, &hi)
		d = max(d, math.Abs(float64(below)/n-fm), math.Abs(float64(atOrBelow)/n-f))
	}
	return d
}

// wasserstein is ∫₀¹ |Qn(u) − Q(u)| du between the empirical quantile
// function of sorted xs (xs[i] on (i/n, (i+1)/n]) and the reference's
// piecewise linear one, integrated exactly piece by piece; a run of equal
// values is one piece.
func wasserstein(q, xs []float64) float64 {
	n := int64(len(xs))
	steps := int64(len(q) - 1)
	invN, invSteps := 1/float64(n), 1/float64(steps)
	var w float64
	u := 0.0
	i, k := int64(0), int64(0)
	run := int64(0) // end of the run of values equal to xs[i]
	slope := (q[1] - q[0]) * float64(steps)
	for i < n && k < steps {
		if run <= i {
			run = i + 1
			for run < n && xs[run] == xs[i] {
				run++
			}
		}
		// The piece ends at the nearer of run/n and (k+1)/steps, compared
		// in integers so that equal ends advance both.
		sEnd, rEnd := run*steps, (k+1)*n
		var ue float64
		if sEnd <= rEnd {
			ue = float64(run) * invN
		} else {
			ue = float64(k+1) * invSteps
		}
		base := float64(k) * invSteps
		a := q[k] + (u-base)*slope
		b := q[k] + (ue-base)*slope
		w += absLinear(a-xs[i], b-xs[i], ue-u)
		u = ue
		if sEnd <= rEnd {
			i = run
		}
		if rEnd <= sEnd {
			k++
			if k < steps {
				slope = (q[k+1] - q[k]) * float64(steps)
			}
		}
	}
	return w
}

// wassersteinNoise is the W1 that sampling alone gives a clean window at
// effective size neff: E∫|Fn − F| dx ≈ sqrt(2/(π·neff)) ∫ sqrt(F(1−F)) dx,
// since Fn(x) − F(x) is about normal with variance F(1−F)/neff. The
// integral is taken over the reference's quantile segments, where F runs
// linearly through k/(K−1) ... (k+1)/(K−1).
func wassersteinNoise(q []float64, neff float64) float64 {
	steps := float64(len(q) - 1)
	s := 0.0
	for k := 0; k+1 < len(q); k++ {
		u := (float64(k) + 0.5) / steps
		s += math.Sqrt(u*(1-u)) * (q[k+1] - q[k])
	}
	return math.Sqrt(2/(math.Pi*neff)) * s
}

// absLinear is ∫|g| over an interval of length l on which g is linear
// from da to db.
func absLinear(da, db, l float64) float64 {
	if da*db >= 0 {
		return l * math.Abs(da+db) / 2
	}
	return l * (da*da + db*db) / (2 * (math.Abs(da) + math.Abs(db)))
}

// kolmogorovSF is P(K > x) for the Kolmogorov distribution, the limit of
// sqrt(n)·D (scipy's kstwobign.sf). Two series, each fast where it is
// used: the theta-function form for small x, the alternating one above.
func kolmogorovSF(x float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x < 1:
		// P(K ≤ x) = sqrt(2π)/x Σ exp(−(2k−1)²π²/(8x²)).
		s := 0.0
		for k := 1; k <= 20; k++ {
			t := math.Exp(-float64((2*k-1)*(2*k-1)) * math.Pi * math.Pi / (8 * x * x))
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return 1 - math.Sqrt(2*math.Pi)/x*s
	}
	s := 0.0
	sign := 1.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * x * x)
		s += sign * t
		sign = -sign
		if t < 1e-17 {
			break
		}
	}
	return min(1, max(0, 2*s))
}
