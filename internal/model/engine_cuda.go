//go:build cuda

package model

import (
	"gorgonia.org/cu"
	"gorgonia.org/gorgonia"
)

// Engine names what runs Gorgonia's operations in this build. With the
// cuda tag, Gorgonia's TapeMachine runs every operation that has a CUDA
// implementation (the matrix products, through cuBLAS) on the device and
// the rest, mlpipe's fused layer and loss ops among them, on the CPU,
// moving values between them itself.
const Engine = "cuda"

// Devices is the number of CUDA devices the driver reports.
func Devices() (int, error) { return cu.NumDevices() }

// matMul is a·b for the training graphs: Gorgonia's own Mul, which the
// CUDA build runs on the device (the CPU build's matMulOp has no CUDA
// kernel).
func matMul(a, b *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mul(a, b) }
