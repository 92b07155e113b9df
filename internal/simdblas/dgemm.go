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

	// op(B) row by row: B itself, or a transposed copy.
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
	// Partial tiles (the last rows or columns) run through the same kernel
	// on zero-padded copies, so every element of C gets the same
	// arithmetic whatever tile it falls in.
	nFull := n - n%nr
	var bEdge []float64
	if nFull < n {
		buf := getScratch(min(k, kc) * nr)
		defer scratch.Put(buf)
		bEdge = *buf
	}
	var cTile [mr * nr]float64
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		bPanel := bp[p0*ldbp:]
		if bEdge != nil {
			clear(bEdge)
			for p := range kb {
				copy(bEdge[p*nr:p*nr+n-nFull], bPanel[p*ldbp+nFull:p*ldbp+n])
			}
		}
		for i := 0; i < m; i += mr {
			rows := min(mr, m-i)
			packA(tA, a, lda, alpha, i, rows, p0, kb, ap)
			cRow := c[i*ldc:]
			for j := 0; j < n; j += nr {
				cols := min(nr, n-j)
				bt, ldbt := bPanel[j:], ldbp
				if cols < nr {
					bt, ldbt = bEdge, nr
				}
				if rows == mr && cols == nr {
					kernel(kb, ap, bt, ldbt, cRow[j:], ldc)
					continue
				}
				clear(cTile[:])
				for r := range rows {
					copy(cTile[r*nr:r*nr+cols], cRow[r*ldc+j:r*ldc+j+cols])
				}
				kernel(kb, ap, bt, ldbt, cTile[:], nr)
				for r := range rows {
					copy(cRow[r*ldc+j:r*ldc+j+cols], cTile[r*nr:r*nr+cols])
				}
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
