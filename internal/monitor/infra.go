package monitor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SelfProcess is the figures of the process calling it (a worker).
func SelfProcess(source string) *Process {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := &Process{Source: source, MemoryMB: float64(ms.Sys) / (1 << 20), Goroutines: runtime.NumGoroutine()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		p.CPUSeconds = tv(ru.Utime) + tv(ru.Stime)
		if rss := float64(ru.Maxrss) / 1024; rss > 0 {
			// Linux reports the peak resident set in KiB.
			p.MemoryMB = rss
		}
	}
	return p
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// GatewayProcess reads the gateway's process figures from its Prometheus
// /metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// go_goroutines), and its error rate per version and variant from
// mlpipe_predict_requests_total (since the gateway started).
func GatewayProcess(ctx context.Context, hc *http.Client, gatewayURL string) (*Process, map[string]float64, error) {
	if gatewayURL == "" {
		return nil, nil, errors.New("no gateway URL configured")
	}
	url := strings.TrimSuffix(gatewayURL, "/") + "/metrics"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway metrics %s: %w", url, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("gateway metrics %s: HTTP %d", url, resp.StatusCode)
	}
	return parseMetrics(resp.Body, url)
}

func parseMetrics(r io.Reader, source string) (*Process, map[string]float64, error) {
	p := &Process{Source: source}
	found := false
	total, failed := map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name, val := line[:i], line[i+1:]
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch {
		case name == "process_cpu_seconds_total":
			p.CPUSeconds, found = v, true
		case name == "process_resident_memory_bytes", name == "process_max_resident_memory_bytes" && p.MemoryMB == 0:
			p.MemoryMB, found = v/(1<<20), true
		case name == "go_goroutines":
			p.Goroutines, found = int(v), true
		case strings.HasPrefix(name, "mlpipe_predict_requests_total{"):
			key := variantKey(name)
			total[key] += v
			if !strings.Contains(name, `code="200"`) {
				failed[key] += v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", source, err)
	}
	rates := map[string]float64{}
	for k, t := range total {
		if t > 0 {
			rates[k] = failed[k] / t
		}
	}
	if !found {
		p = nil
	}
	return p, rates, nil
}

// variantKey is "version/variant" from a metric's labels.
func variantKey(name string) string {
	return label(name, "version") + "/" + label(name, "variant")
}

func label(name, key string) string {
	i := strings.Index(name, key+`="`)
	if i < 0 {
		return ""
	}
	rest := name[i+len(key)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// ApplyErrorRates sets the error rate of each serving row the window's
// log did not measure from the gateway's counters since its start.
func (s *Snapshot) ApplyErrorRates(rates map[string]float64) {
	for i := range s.Performance.Serving {
		sv := &s.Performance.Serving[i]
		if sv.ErrorSource == ErrorsFromLog {
			continue
		}
		if r, ok := rates[fmt.Sprintf("%d/%s", sv.Version, sv.Variant)]; ok {
			sv.ErrorRate, sv.ErrorSource = r, ErrorsFromGateway
		}
	}
}

// GPUs asks nvidia-smi for each device's utilisation and memory. No
// nvidia-smi, or one that fails, is "none", never an error.
func GPUs(ctx context.Context) ([]GPU, string) {
	bin, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, "none"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--query-gpu=name,utilization.gpu,memory.used,memory.total",
		"--format=csv,noheader,nounits").Output()
	if err != nil {
		return nil, "none (nvidia-smi failed: " + err.Error() + ")"
	}
	var gpus []GPU
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 4 {
			continue
		}
		num := func(s string) float64 {
			v, _ := strconv.ParseFloat(strings.TrimSpace(s), 64) // "[N/A]" reads as 0
			return v
		}
		gpus = append(gpus, GPU{Name: strings.TrimSpace(f[0]), Utilization: num(f[1]), MemoryMB: num(f[2]), MemoryTotal: num(f[3])})
	}
	if len(gpus) == 0 {
		return nil, "none"
	}
	return gpus, fmt.Sprintf("%d device(s)", len(gpus))
}
