//go:build !amd64

package simdblas

const hasFMA = false

func kernel(kb int, ap, b []float64, ldb int, c []float64, ldc int) {
	kernelGo(kb, ap, b, ldb, c, ldc)
}
