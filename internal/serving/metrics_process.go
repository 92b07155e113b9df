package serving

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
)

// writeProcessMetrics adds the gateway process's own figures under the
// names Prometheus's Go client uses, so the model monitor (and any
// Prometheus) reads its CPU, memory and goroutines.
func writeProcessMetrics(b *strings.Builder) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.WriteString("# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\n")
	fmt.Fprintf(b, "go_goroutines %d\n", runtime.NumGoroutine())
	b.WriteString("# HELP go_memstats_sys_bytes Bytes obtained from the system.\n# TYPE go_memstats_sys_bytes gauge\n")
	fmt.Fprintf(b, "go_memstats_sys_bytes %d\n", ms.Sys)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return // no process figures on this platform; the rest stands
	}
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	b.WriteString("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n")
	fmt.Fprintf(b, "process_cpu_seconds_total %g\n", cpu)
	// Linux reports the peak resident set in KiB; the current one would
	// need /proc, which this keeps portable without.
	b.WriteString("# HELP process_max_resident_memory_bytes Peak resident memory size in bytes.\n# TYPE process_max_resident_memory_bytes gauge\n")
	fmt.Fprintf(b, "process_max_resident_memory_bytes %d\n", int64(ru.Maxrss)*1024)
}
