//go:build race

package drift

// raceDetector is set when the tests run with -race, which slows the
// seeded simulations tenfold; make test runs them again without it.
const raceDetector = true
