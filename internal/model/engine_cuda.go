//go:build cuda

package model

import "gorgonia.org/cu"

// Engine names what runs Gorgonia's operations in this build. With the
// cuda tag, Gorgonia's TapeMachine runs every operation that has a CUDA
// implementation (the matrix products, through cuBLAS) on the device and
// the rest on the CPU, moving values between them itself.
const Engine = "cuda"

// Devices is the number of CUDA devices the driver reports.
func Devices() (int, error) { return cu.NumDevices() }
