// Package simdblas is gonum's BLAS with a faster general matrix product.
//
// Training spends most of its time in Dgemm on small, oddly shaped
// matrices (a 256-row batch times a 20×32 weight matrix, and the
// transposed products of back-propagation). Gonum's pure-Go Dgemm reaches
// about a tenth of what the processor can do there. Implementation keeps
// every gonum routine but Dgemm, which packs its operands into 4-row panels
// and runs a 4×8 register-blocked kernel: AVX2 and FMA assembly on amd64
// processors that have them, the same arithmetic in Go elsewhere.
//
// Every element of C is accumulated in the same order with fused
// multiply-adds on both paths (math.FMA in Go), so Dgemm's results are bit
// for bit the same with or without the assembly kernel. That alone does not
// make a whole training run processor-independent: math.Exp takes an FMA
// path on amd64 processors that have one, and on arm64 the compiler fuses
// multiply-adds elsewhere. A run resumes exactly on a worker of the same
// kind.
package simdblas
