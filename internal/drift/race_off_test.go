//go:build !race

package drift

const raceDetector = false
