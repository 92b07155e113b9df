package serving

import (
	"fmt"
	"log/slog"
	"net/http"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMetricsHandler builds the gateway's registry: its own collector, Go
// runtime and process collectors, and the peak resident memory. The
// registry is the gateway's, not client_golang's global one, so several
// gateways in one process (tests, the serving bench) each export only
// their own counters.
func newMetricsHandler(g *Gateway) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&gatewayCollector{g: g},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "process_max_resident_memory_bytes",
			Help: "Peak resident memory size in bytes.",
		}, maxResidentBytes),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A series that cannot be gathered (its error is logged) must not
		// hide the others from the scraper.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slogPrintln{g.opts.Logger},
	})
}

// maxResidentBytes is the process's peak resident set: Linux reports it in
// KiB; 0 where getrusage is not available. The monitor falls back on it
// where process_resident_memory_bytes is missing.
func maxResidentBytes() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) * 1024
}

// slogPrintln hands promhttp's error log to slog.
type slogPrintln struct{ l *slog.Logger }

func (p slogPrintln) Println(v ...any) {
	p.l.Error("metrics: gather", "err", fmt.Sprint(v...))
}
