package child

import (
	"os"
	"runtime/pprof"
)

// Profiled runs f, writing a CPU profile of it to path when path is set:
// a bench's -cpuprofile for the side it runs in a child.
func Profiled(path string, f func() error) error {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		_ = out.Close() // the profile never started; its error is the one to report
		return err
	}
	ferr := f()
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		return err
	}
	return ferr
}
