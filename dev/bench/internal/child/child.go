// Package child runs one side of a benchmark as a process of its own and
// measures it: wall time, CPU time and peak resident memory, so each
// side's memory is its own and not the parent's.
package child

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Sample is one run of one side.
type Sample struct {
	Wall time.Duration
	// CPU is user + system time: steadier than wall on a shared machine.
	CPU   time.Duration
	RSSMB float64
}

// Measure runs a command to its end and reports its wall time, CPU time
// and peak RSS. BENCH_VERBOSE=1 shows its output.
func Measure(name string, args ...string) (Sample, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if os.Getenv("BENCH_VERBOSE") != "" {
		cmd.Stdout = os.Stderr
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Sample{}, fmt.Errorf("%w: %s", err, stderr.String())
	}
	wall := time.Since(start)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return Sample{}, fmt.Errorf("no resource usage for %s", name)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return Sample{Wall: wall, CPU: cpu, RSSMB: float64(ru.Maxrss) * 1024 / 1e6}, nil
}

// Output runs a command and returns what it printed.
func Output(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// Median is the run with the median wall time.
func Median(s []Sample) Sample {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b Sample) int { return int(a.Wall - b.Wall) })
	return s[len(s)/2]
}

// MedianCPU is the median CPU time.
func MedianCPU(s []Sample) time.Duration {
	cpu := make([]time.Duration, len(s))
	for i, x := range s {
		cpu[i] = x.CPU
	}
	slices.Sort(cpu)
	return cpu[len(cpu)/2]
}

// Walls lists the runs' wall times, for the record under a table.
func Walls(s []Sample) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%.2fs", x.Wall.Seconds())
	}
	return out
}
