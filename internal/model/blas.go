package model

import (
	"gorgonia.org/gorgonia"

	"github.com/mlpipe/mlpipe/internal/simdblas"
)

// Gorgonia's matrix products go through the process-wide BLAS it is given;
// gonum's default Dgemm was half of a training step's time.
func init() { gorgonia.Use(simdblas.Implementation{}) }
