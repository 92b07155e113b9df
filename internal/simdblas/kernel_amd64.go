package simdblas

import "golang.org/x/sys/cpu"

// hasFMA reports whether the assembly kernel can run here.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel4x8 is kernelGo in AVX2/FMA assembly; b and c rows are ldb and ldc
// float64s apart.
//
//go:noescape
func kernel4x8(kb int, ap, b *float64, ldb int, c *float64, ldc int)

func kernel(kb int, ap, b []float64, ldb int, c []float64, ldc int) {
	if kb == 0 {
		return
	}
	if !hasFMA {
		kernelGo(kb, ap, b, ldb, c, ldc)
		return
	}
	// The bounds the assembly relies on, checked once per call.
	_ = ap[kb*mr-1]
	_ = b[(kb-1)*ldb+nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernel4x8(kb, &ap[0], &b[0], ldb, &c[0], ldc)
}
