package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlpipe/mlpipe/dev/bench/internal/synth"
	"github.com/mlpipe/mlpipe/internal/gbt"
	"github.com/mlpipe/mlpipe/internal/treeeval"
)

// runChild is mlpipe's side: the same data (synth is deterministic), the
// fastest of o.repeats fits, and the process's memory.
func runChild(w io.Writer, o options) error {
	X, y := synth.Binary(o.childRows, o.cols, uint64(o.seed))
	runtime.GC()
	debug.FreeOSMemory()
	loaded, err := statusKiB("VmRSS")
	if err != nil {
		return err
	}
	// Reset the peak (VmHWM) so that it measures the fit, not the data's
	// generation, as the Python side does after reading its CSV.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset the peak RSS: %w", err)
	}
	p := o.params()
	var best, bestCPU float64
	var res *gbt.Result
	for i := range o.repeats {
		began, cpu := time.Now(), cpuSeconds()
		if res, err = gbt.Train(context.Background(), X, y, nil, o.cols, p, gbt.Options{}); err != nil {
			return err
		}
		if s := time.Since(began).Seconds(); i == 0 || s < best {
			best, bestCPU = s, cpuSeconds()-cpu
		}
	}
	peak, err := statusKiB("VmHWM")
	if err != nil {
		return err
	}
	m, err := treeeval.Parse(res.Model)
	if err != nil {
		return err
	}
	prob, err := m.PredictProba(X, o.cols)
	if err != nil {
		return err
	}
	var loss float64
	for i, pi := range prob {
		pi = min(max(pi, 1e-15), 1-1e-15)
		loss -= y[i]*math.Log(pi) + (1-y[i])*math.Log(1-pi)
	}
	return json.NewEncoder(w).Encode(side{Seconds: best, CPUSeconds: bestCPU, LoadedKiB: loaded, PeakKiB: peak, LogLoss: loss / float64(len(y)), Version: "xgboost " + gbt.LibraryVersion()})
}

// statusKiB reads a "VmRSS"-style field of /proc/self/status.
func statusKiB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/self/status has no %s", field)
}

// cpuSeconds is the process's user+system time so far, every thread's.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
