//go:build !cuda

package model

import "gorgonia.org/gorgonia"

// Engine names what runs Gorgonia's operations in this build: here the
// CPU, with matrix products through simdblas. Build with -tags cuda for
// Gorgonia's CUDA engine (see engine_cuda.go).
const Engine = "cpu"

// Devices is the number of accelerators training can use in this build:
// none on the CPU build.
func Devices() (int, error) { return 0, nil }

// matMul is a·b for the training graphs: matMulOp on the CPU build.
func matMul(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(matMulOp{out: &outBuf{}}, a, b)
}
