package simdblas

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum.Implementation with Dgemm replaced. It satisfies
// gorgonia.BLAS and tensor.BLAS, so gorgonia.Use(simdblas.Implementation{})
// installs it.
type Implementation struct {
	gonum.Implementation
}

const (
	mr = 4   // rows of C a kernel call computes
	nr = 8   // columns of C a kernel call computes
	kc = 256 // depth of one packed panel, so a panel of B stays in L1/L2
)

// scratch holds packed panels between calls.
var scratch = sync.Pool{New: func() any { return new([]float64) }}

func getScratch(n int) *[]float64 {
	p := scratch.Get().(*[]float64)
	if cap(*p) < n {
		*p = make([]float64, n)
	}
	*p = (*p)[:n]
	return p
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ; op(A) is m×k, op(B) is k×n and C is m×n.
func (Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}

	if n < nr {
		narrow(tA, tB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}

	// B is read a row of nr at a time: transpose it into a packed copy
	// when it is stored transposed.
	bp, ldbp := b, ldb
	if tB != blas.NoTrans {
		buf := getScratch(k * n)
		defer scratch.Put(buf)
		bp, ldbp = *buf, n
		for j := range n {
			row := b[j*ldb : j*ldb+k]
			for p, v := range row {
				bp[p*n+j] = v
			}
		}
	}

	apBuf := getScratch(mr * min(k, kc))
	defer scratch.Put(apBuf)
	ap := *apBuf
	nFull := n - n%nr
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		for i := 0; i < m; i += mr {
			rows := min(mr, m-i)
			packA(tA, a, lda, alpha, i, rows, p0, kb, ap)
			bPanel := bp[p0*ldbp:]
			cRow := c[i*ldc:]
			if rows == mr {
				for j := 0; j < nFull; j += nr {
					kernel(kb, ap, bPanel[j:], ldbp, cRow[j:], ldc)
				}
			} else {
				for j := 0; j < nFull; j += nr {
					edge(kb, ap, rows, nr, bPanel[j:], ldbp, cRow[j:], ldc)
				}
			}
			if nFull < n {
				edge(kb, ap, rows, n-nFull, bPanel[nFull:], ldbp, cRow[nFull:], ldc)
			}
		}
	}
}

// packA copies alpha·op(A)[i:i+rows, p0:p0+kb] into ap so that the mr
// values of one depth step are adjacent: ap[p·mr + r]. Missing rows are
// zero.
func packA(tA blas.Transpose, a []float64, lda int, alpha float64, i, rows, p0, kb int, ap []float64) {
	ap = ap[:kb*mr]
	if rows < mr {
		clear(ap)
	}
	if tA != blas.NoTrans {
		for p := range kb {
			src := a[(p0+p)*lda+i : (p0+p)*lda+i+rows]
			dst := ap[p*mr : p*mr+rows]
			for r, v := range src {
				dst[r] = alpha * v
			}
		}
		return
	}
	for r := range rows {
		src := a[(i+r)*lda+p0 : (i+r)*lda+p0+kb]
		for p, v := range src {
			ap[p*mr+r] = alpha * v
		}
	}
}

// narrow computes C += alpha·op(A)·op(B) for C narrower than a kernel
// tile (a matrix-vector product, mostly) without packing, which would cost
// as much as the product.
func narrow(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	bAt := func(p, j int) float64 {
		if tB != blas.NoTrans {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	if tA != blas.NoTrans {
		// Rows of A are columns of op(A): sweep them once, adding each
		// into every row of C.
		for p := range k {
			aRow := a[p*lda : p*lda+m]
			for j := range n {
				bv := alpha * bAt(p, j)
				if bv == 0 {
					continue
				}
				for i, av := range aRow {
					c[i*ldc+j] += av * bv
				}
			}
		}
		return
	}
	for i := range m {
		aRow := a[i*lda : i*lda+k]
		for j := range n {
			var acc float64
			for p, av := range aRow {
				acc += av * bAt(p, j)
			}
			c[i*ldc+j] += alpha * acc
		}
	}
}

// edge is the kernel for a partial tile, rows ≤ mr by cols ≤ nr, with the
// kernel's arithmetic: per element, fused multiply-adds in depth order
// into a zero accumulator, then one add into C.
func edge(kb int, ap []float64, rows, cols int, b []float64, ldb int, c []float64, ldc int) {
	for r := range rows {
		for j := range cols {
			var acc float64
			for p := range kb {
				acc = math.FMA(ap[p*mr+r], b[p*ldb+j], acc)
			}
			c[r*ldc+j] += acc
		}
	}
}

// kernelGo is the portable 4×8 kernel: C[r, 0:8] += Σₚ ap[p·4+r]·B[p, 0:8].
func kernelGo(kb int, ap, b []float64, ldb int, c []float64, ldc int) {
	var acc [mr][nr]float64
	for p := range kb {
		bRow := b[p*ldb : p*ldb+nr]
		aCol := ap[p*mr : p*mr+mr]
		for r, av := range aCol {
			for j, bv := range bRow {
				acc[r][j] = math.FMA(av, bv, acc[r][j])
			}
		}
	}
	for r := range mr {
		row := c[r*ldc : r*ldc+nr]
		for j := range row {
			row[j] += acc[r][j]
		}
	}
}

func scaleC(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkGemm panics, as gonum does, on arguments that would read or write
// outside the slices: the assembly kernel does no bounds checks.
func checkGemm(tA, tB blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if tA != blas.NoTrans && tA != blas.Trans && tA != blas.ConjTrans {
		panic("simdblas: bad transpose for A")
	}
	if tB != blas.NoTrans && tB != blas.Trans && tB != blas.ConjTrans {
		panic("simdblas: bad transpose for B")
	}
	if m < 0 || n < 0 || k < 0 {
		panic("simdblas: negative dimension")
	}
	rowsA, colsA := m, k
	if tA != blas.NoTrans {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if tB != blas.NoTrans {
		rowsB, colsB = n, k
	}
	if lda < max(1, colsA) || ldb < max(1, colsB) || ldc < max(1, n) {
		panic("simdblas: bad leading dimension")
	}
	need := func(rows, cols, ld, have int) {
		if rows > 0 && cols > 0 && have < (rows-1)*ld+cols {
			panic("simdblas: slice too short")
		}
	}
	need(rowsA, colsA, lda, len(a))
	need(rowsB, colsB, ldb, len(b))
	need(m, n, ldc, len(c))
}
