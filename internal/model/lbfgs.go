package model

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// L-BFGS settings: scipy's L-BFGS-B defaults for the history (maxcor), the
// line search's evaluations (maxls) and the loss tolerance (factr·eps), and
// the usual Wolfe constants (Nocedal & Wright, Numerical Optimization, §3.1).
const (
	lbfgsMemory        = 10
	lbfgsMaxLineSearch = 20
	lbfgsFtol          = 1e7 * 0x1p-52 // ≈ 2.2e-9
	wolfeC1            = 1e-4
	wolfeC2            = 0.9
)

// objective computes f(x) and writes ∇f(x) into g.
type objective func(x, g []float64) (float64, error)

// errNoFiniteStep says that no trial step of a line search gave a finite
// objective: the caller reports it as ErrDiverged.
var errNoFiniteStep = errors.New("the objective is not finite anywhere along the search direction")

// lbfgs is limited-memory BFGS (Nocedal & Wright, Algorithm 7.5): the
// two-loop recursion turns the last lbfgsMemory steps and gradient changes
// into a quasi-Newton direction, and a line search that satisfies the strong
// Wolfe conditions picks the step. Everything carried from one iteration to
// the next is in st, so a run resumed from a checkpoint repeats the
// uninterrupted run bit for bit; the rest is scratch.
type lbfgs struct {
	st   *LBFGSState
	tol  float64
	eval objective
	// d is the search direction; xt and gt the line search's trial point
	// and its gradient; alpha the two-loop coefficients.
	d, xt, gt, alpha []float64
}

func newLBFGS(st *LBFGSState, n int, tol float64, eval objective) *lbfgs {
	return &lbfgs{st: st, tol: tol, eval: eval,
		d: make([]float64, n), xt: make([]float64, n), gt: make([]float64, n), alpha: make([]float64, lbfgsMemory)}
}

// checkLBFGS refuses a checkpointed state whose vectors do not have n values.
func checkLBFGS(st *LBFGSState, n int) error {
	if len(st.Grad) != n {
		return fmt.Errorf("checkpoint lbfgs gradient has %d values; expected %d", len(st.Grad), n)
	}
	if len(st.S) != len(st.Y) || len(st.S) > lbfgsMemory {
		return fmt.Errorf("checkpoint lbfgs history has %d steps and %d gradient changes; expected as many, at most %d", len(st.S), len(st.Y), lbfgsMemory)
	}
	for i := range st.S {
		if len(st.S[i]) != n || len(st.Y[i]) != n {
			return fmt.Errorf("checkpoint lbfgs history entry %d has %d and %d values; expected %d", i, len(st.S[i]), len(st.Y[i]), n)
		}
	}
	return nil
}

// start evaluates the objective at the initial x, and stops at once (as
// scipy does) when its gradient already meets the tolerance.
func (o *lbfgs) start(x []float64) error {
	o.st.Grad = make([]float64, len(x))
	f, err := o.eval(x, o.st.Grad)
	o.st.Evaluations++
	if err != nil {
		return err
	}
	o.st.Loss = f
	if !isFinite(f) || !allFinite(o.st.Grad) {
		return errNoFiniteStep
	}
	if g := maxAbs(o.st.Grad); g <= o.tol {
		o.st.Converged = fmt.Sprintf("max |gradient| %.3g <= tol %g at the start", g, o.tol)
	}
	return nil
}

// iterate moves x (the current parameters, whose objective and gradient are
// in o.st) one step and records why to stop in o.st.Converged, if it should.
func (o *lbfgs) iterate(ctx context.Context, x []float64) error {
	st := o.st
	var fNew float64
	for {
		o.direction()
		dg := dot(o.d, st.Grad)
		if !(dg < 0) {
			// Rounding can spoil the direction; steepest descent cannot fail.
			if len(st.S) == 0 {
				st.Converged = "the gradient is zero"
				return nil
			}
			st.S, st.Y = st.S[:0], st.Y[:0]
			continue
		}
		a0 := 1.0
		if len(st.S) == 0 {
			// No curvature known yet: a first step of unit length, as scipy takes.
			if a0 = 1 / math.Sqrt(dot(o.d, o.d)); !(a0 > 0) || math.IsInf(a0, 0) {
				a0 = 1
			}
		}
		f, ok, err := o.lineSearch(ctx, x, st.Loss, dg, a0)
		if errors.Is(err, errNoFiniteStep) && len(st.S) > 0 {
			ok = false
		} else if err != nil {
			return err
		}
		if ok {
			fNew = f
			break
		}
		if len(st.S) == 0 {
			st.Converged = "the line search found no step that lowers the objective (it is as low as float64 can tell)"
			return nil
		}
		// As L-BFGS-B does: forget the curvature pairs and try steepest descent.
		st.S, st.Y = st.S[:0], st.Y[:0]
	}

	s, y := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		s[i], y[i] = o.xt[i]-x[i], o.gt[i]-st.Grad[i]
	}
	// Keep the pair only when it has positive curvature, so the implied
	// inverse Hessian stays positive definite.
	if sy := dot(s, y); sy > 0x1p-52*dot(y, y) {
		if len(st.S) == lbfgsMemory {
			st.S, st.Y = append(st.S[:0], st.S[1:]...), append(st.Y[:0], st.Y[1:]...)
		}
		st.S, st.Y = append(st.S, s), append(st.Y, y)
	}
	fOld := st.Loss
	copy(x, o.xt)
	copy(st.Grad, o.gt)
	st.Loss = fNew
	if g := maxAbs(st.Grad); g <= o.tol {
		st.Converged = fmt.Sprintf("max |gradient| %.3g <= tol %g", g, o.tol)
	} else if rel := (fOld - fNew) / max(math.Abs(fOld), math.Abs(fNew), 1); rel <= lbfgsFtol {
		st.Converged = fmt.Sprintf("the loss fell by %.3g relative, <= %.3g", rel, lbfgsFtol)
	}
	return nil
}

// direction sets o.d = −H·g by the two-loop recursion, with the initial
// inverse Hessian scaled by sᵀy/yᵀy of the newest pair.
func (o *lbfgs) direction() {
	S, Y, q := o.st.S, o.st.Y, o.d
	copy(q, o.st.Grad)
	for i := len(S) - 1; i >= 0; i-- {
		o.alpha[i] = dot(S[i], q) / dot(Y[i], S[i])
		axpy(-o.alpha[i], Y[i], q)
	}
	if k := len(S); k > 0 {
		gamma := dot(S[k-1], Y[k-1]) / dot(Y[k-1], Y[k-1])
		for i := range q {
			q[i] *= gamma
		}
	}
	for i := range S {
		b := dot(Y[i], q) / dot(Y[i], S[i])
		axpy(o.alpha[i]-b, S[i], q)
	}
	for i := range q {
		q[i] = -q[i]
	}
}

// trial is one point of a line search: the step, the objective and its
// slope along the direction. A non-finite objective reads as +Inf (too far).
type trial struct{ a, f, dg float64 }

// lineSearch looks along o.d from x, whose objective is f0 and slope dg0 < 0,
// for a step α that satisfies the strong Wolfe conditions
//
//	f(x+αd) ≤ f0 + c1·α·dg0   and   |∇f(x+αd)·d| ≤ c2·|dg0|,
//
// starting at a0: it extrapolates until it brackets such a step, then zooms
// in with safeguarded cubic interpolation (Nocedal & Wright, Algorithms 3.5
// and 3.6). With ok, o.xt and o.gt hold the accepted point and its gradient
// and f its objective. After lbfgsMaxLineSearch evaluations it settles for
// the lowest point with sufficient decrease; with none, ok is false.
func (o *lbfgs) lineSearch(ctx context.Context, x []float64, f0, dg0, a0 float64) (f float64, ok bool, err error) {
	last := -1.0 // the step whose point o.xt holds
	try := func(a float64) (trial, error) {
		if err := ctx.Err(); err != nil {
			return trial{}, err
		}
		for i := range x {
			o.xt[i] = x[i] + a*o.d[i]
		}
		f, err := o.eval(o.xt, o.gt)
		o.st.Evaluations++
		last = a
		if err != nil {
			return trial{}, err
		}
		dg := dot(o.gt, o.d)
		if !isFinite(f) || !isFinite(dg) {
			return trial{a: a, f: math.Inf(1), dg: math.NaN()}, nil
		}
		return trial{a: a, f: f, dg: dg}, nil
	}
	armijo := func(p trial) bool { return p.f <= f0+wolfeC1*p.a*dg0 }
	curvature := func(p trial) bool { return math.Abs(p.dg) <= -wolfeC2*dg0 }

	lo := trial{a: 0, f: f0, dg: dg0} // lowest point so far with sufficient decrease
	var hi trial
	bracketed, finiteSeen := false, false
	a := a0
	for range lbfgsMaxLineSearch {
		p, err := try(a)
		if err != nil {
			return 0, false, err
		}
		finiteSeen = finiteSeen || !math.IsInf(p.f, 1)
		switch {
		case !armijo(p) || (p.f >= lo.f && (bracketed || lo.a > 0)):
			hi, bracketed = p, true
		case curvature(p):
			return p.f, true, nil
		case !bracketed && p.dg < 0:
			// Still going down steeply: step further, by cubic extrapolation
			// kept within 1.1 to 4 times the last stride (as Moré–Thuente).
			stride := p.a - lo.a
			next, ok := cubicMin(lo, p)
			if !ok {
				next = p.a + 4*stride
			}
			lo, a = p, min(max(next, p.a+1.1*stride), p.a+4*stride)
			continue
		case !bracketed:
			hi, lo, bracketed = lo, p, true
		default:
			if p.dg*(hi.a-lo.a) >= 0 {
				hi = lo
			}
			lo = p
		}
		if math.Abs(hi.a-lo.a) <= 1e-14*max(lo.a, hi.a) {
			break // the bracket is narrower than float64 can step
		}
		a = zoomStep(lo, hi)
	}
	if lo.a == 0 {
		if !finiteSeen {
			return 0, false, errNoFiniteStep
		}
		return 0, false, nil
	}
	if last != lo.a { // bring o.xt and o.gt back to the accepted point
		if _, err := try(lo.a); err != nil {
			return 0, false, err
		}
	}
	return lo.f, true, nil
}

// zoomStep picks the next trial between lo and hi: the cubic interpolant's
// minimiser, or the midpoint when that is missing or within a tenth of
// the bracket's width from either end.
func zoomStep(lo, hi trial) float64 {
	a, b := min(lo.a, hi.a), max(lo.a, hi.a)
	w := b - a
	if c, ok := cubicMin(lo, hi); ok && c >= a+0.1*w && c <= b-0.1*w {
		return c
	}
	return a + w/2
}

// cubicMin is the minimiser of the cubic through p and q with their slopes
// (Nocedal & Wright, eq. 3.59); ok is false when it has none.
func cubicMin(p, q trial) (float64, bool) {
	if math.IsInf(p.f, 0) || math.IsInf(q.f, 0) || math.IsNaN(p.dg) || math.IsNaN(q.dg) || p.a == q.a {
		return 0, false
	}
	d1 := p.dg + q.dg - 3*(p.f-q.f)/(p.a-q.a)
	disc := d1*d1 - p.dg*q.dg
	if disc < 0 {
		return 0, false
	}
	d2 := math.Copysign(math.Sqrt(disc), q.a-p.a)
	c := q.a - (q.a-p.a)*(q.dg+d2-d1)/(q.dg-p.dg+2*d2)
	return c, isFinite(c)
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(v []float64) bool {
	for _, x := range v {
		if !isFinite(x) {
			return false
		}
	}
	return true
}
