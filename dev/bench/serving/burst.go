package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
)

// burstConfig is one memory burst: conns requests of rows rows each, all
// at once, against url; pid is the gateway's process, whose resident
// memory is sampled (0: not sampled).
type burstConfig struct {
	url          string
	pid          int
	conns, rows  int
	settle       time.Duration
	sampleEvery  time.Duration
	generateSeed int64
}

// burstChild runs this command with -serve in a child process, so that
// the gateway's memory is its own, and runs the burst against it.
func burstChild(ctx context.Context, out io.Writer, c burstConfig) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-serve")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the gateway process: %w", err)
	}
	defer func() {
		_ = cmd.Process.Kill() // the child serves until killed
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), "gateway "); ok {
			c.url = strings.TrimSpace(url)
		}
		if c.url != "" && strings.HasPrefix(sc.Text(), "pid ") {
			break
		}
	}
	if c.url == "" {
		return fmt.Errorf("the gateway process printed no URL: %v", sc.Err())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }() // keep its pipe drained
	c.pid = cmd.Process.Pid
	return burst(ctx, out, c)
}

// burst sends the burst and reports the answers and the gateway's
// resident memory before, at its peak during, and after the burst (right
// after, and once more after settle). Run the gateway in another process
// (this command with -serve, or mlpipe serve) so that the figures are the
// gateway's alone.
func burst(ctx context.Context, out io.Writer, c burstConfig) error {
	fmt.Fprintf(out, "generating %d churn rows...\n", c.rows)
	var csv bytes.Buffer
	if err := gen.Churn(&csv, c.rows, c.generateSeed, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		return err
	}
	f, err := frame.ReadCSV(&csv, frame.ReadOptions{Source: "generated churn"})
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"instances": requestRows(f)})
	if err != nil {
		return err
	}
	before, err := rss(c.pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sending %d requests of %d rows (%.1f MiB each) at once to %s\n", c.conns, c.rows, mib(uint64(len(body))), c.url)

	var peak atomic.Int64
	peak.Store(before.rss)
	done := make(chan struct{})
	var sampler sync.WaitGroup
	if c.pid > 0 {
		sampler.Go(func() {
			t := time.NewTicker(c.sampleEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if m, err := rss(c.pid); err == nil && m.rss > peak.Load() {
						peak.Store(m.rss)
					}
				}
			}
		})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.conns, DisableCompression: true}, Timeout: 5 * time.Minute}
	start := time.Now()
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	for range c.conns {
		wg.Go(func() {
			a := burstPost(ctx, client, c.url, body)
			mu.Lock()
			answers[a]++
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(done)
	sampler.Wait()
	after, err := rss(c.pid)
	if err != nil {
		return err
	}
	if c.settle > 0 {
		fmt.Fprintf(out, "waiting %s for the gateway to settle...\n", c.settle)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.settle):
		}
	}
	settled, err := rss(c.pid)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "\nburst done in %s\n", took.Round(time.Millisecond))
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		fmt.Fprintf(out, "  %3d × %s\n", answers[k], k)
	}
	if c.pid > 0 {
		fmt.Fprintln(out, "\n| gateway RSS | before | peak during (sampled) | VmHWM | right after | after settle |")
		fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: |")
		fmt.Fprintf(out, "| pid %d | %.0f MiB | %.0f MiB | %.0f MiB | %.0f MiB | %.0f MiB |\n", c.pid,
			kib(before.rss), kib(peak.Load()), kib(settled.hwm), kib(after.rss), kib(settled.rss))
	}
	return nil
}

// burstPost sends one request and names its answer: the status, and for a
// refusal the start of its message.
func burstPost(ctx context.Context, c *http.Client, url string, body []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // a short read still has the status
	if resp.StatusCode == http.StatusOK {
		return resp.Status
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	msg, _, _ := strings.Cut(e.Error, ":")
	return resp.Status + ": " + msg
}

type memSample struct{ rss, hwm int64 } // KiB

// rss reads a process's resident set and its peak from /proc (Linux).
func rss(pid int) (memSample, error) {
	var m memSample
	if pid <= 0 {
		return m, nil
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, fmt.Errorf("read the gateway's memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			m.rss = n
		case "VmHWM":
			m.hwm = n
		}
	}
	return m, sc.Err()
}

func kib(k int64) float64 { return float64(k) / 1024 }
