package drift

import (
	"fmt"
	"math"
)

// Config holds the thresholds of the verdicts. The zero value is not
// usable; start from [DefaultConfig]. The package doc says where each
// default comes from.
type Config struct {
	// Alpha is the significance level of the KS and chi-squared tests, in
	// (0, 0.5].
	Alpha float64 `json:"alpha"`
	// NumericFloor is the smallest W1/std that counts as drift, in (0, 10].
	NumericFloor float64 `json:"numeric_floor"`
	// CategoricalFloor is the smallest change in one category's share that
	// counts as drift, in (0, 1].
	CategoricalFloor float64 `json:"categorical_floor"`
	// PSIModerate and PSIMajor are the PSI levels reported, 0 < moderate <
	// major.
	PSIModerate float64 `json:"psi_moderate"`
	PSIMajor    float64 `json:"psi_major"`
	// PSIEpsilon replaces an empty bin's share in PSI, in (0, 0.01].
	PSIEpsilon float64 `json:"psi_epsilon"`
	// DatasetShare is the share of drifted features at which the dataset
	// drifts, in (0, 1].
	DatasetShare float64 `json:"dataset_share"`
}

// DefaultConfig returns the defaults the package doc justifies.
func DefaultConfig() Config {
	return Config{
		Alpha:            0.001,
		NumericFloor:     0.1,
		CategoricalFloor: 0.03,
		PSIModerate:      0.1,
		PSIMajor:         0.25,
		PSIEpsilon:       1e-4,
		DatasetShare:     0.5,
	}
}

// Validate says which setting is out of its range and what the range is.
func (c Config) Validate() error {
	in := func(name string, v, lo, hi float64) error {
		if math.IsNaN(v) || v <= lo || v > hi {
			return fmt.Errorf("drift: %s is %v; it must be in (%v, %v]", name, v, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		in("alpha", c.Alpha, 0, 0.5),
		in("numeric_floor", c.NumericFloor, 0, 10),
		in("categorical_floor", c.CategoricalFloor, 0, 1),
		in("psi_moderate", c.PSIModerate, 0, 10),
		in("psi_major", c.PSIMajor, 0, 10),
		in("psi_epsilon", c.PSIEpsilon, 0, 0.01),
		in("dataset_share", c.DatasetShare, 0, 1),
	} {
		if err != nil {
			return err
		}
	}
	if c.PSIMajor <= c.PSIModerate {
		return fmt.Errorf("drift: psi_major (%v) must be above psi_moderate (%v)", c.PSIMajor, c.PSIModerate)
	}
	return nil
}

// psiLevel names the PSI band.
func (c Config) psiLevel(psi float64) string {
	switch {
	case psi >= c.PSIMajor:
		return "major"
	case psi >= c.PSIModerate:
		return "moderate"
	}
	return "none"
}
