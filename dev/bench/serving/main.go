// Command serving benchmarks the model gateway's predict path against a bare
// net/http handler that decodes the same JSON body and returns a constant
// answer, so the table shows what the gateway itself costs. Both run
// in-process on 127.0.0.1 with a real trained churn model behind the
// gateway; a closed-loop Go client drives the cases in alternating rounds.
//
//	go run ./dev/bench/serving -duration 10s
//	go run ./dev/bench/serving -soak 60s     # also: heap in use over a 60 s gateway run
//	go run ./dev/bench/serving -serve        # keep both up and print wrk commands
//
// With the log on, the table ends with each gateway's median per-round
// ratio to the bare handler and the log's cost (log off minus log on).
// Every server's goroutines carry a "server" profiler label, so the CPU
// each one used, its log writer included, reads off one profile:
//
//	go run ./dev/bench/serving -rounds 8 -cpuprofile cpu.prof -blockprofile block.prof
//	go tool pprof -tags cpu.prof                          # CPU by server
//	go tool pprof -tagfocus=server=gateway-on -top cpu.prof
//
// Memory under large concurrent batches (16 requests of 100,000 rows at
// once), with the gateway in a child process so that its resident memory
// is its own:
//
//	go run ./dev/bench/serving -memory
//	go run ./dev/bench/serving -burst URL -burst-pid PID   # against a gateway already running
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each case is measured in all")
	rounds := flag.Int("rounds", 5, "split each case's duration into this many rounds, bare and gateway alternating, so noise from a shared machine hits both alike")
	warmup := flag.Duration("warmup", 300*time.Millisecond, "unmeasured load before each round of each case")
	conns := flag.Int("conns", 32, "concurrent connections (one goroutine each)")
	soak := flag.Duration("soak", 0, "also run 1-row gateway load this long and report heap in use at start, midway and end (e.g. 60s)")
	serve := flag.Bool("serve", false, "instead of measuring, keep both servers up and print wrk commands")
	trainRows := flag.Int("train-rows", 2000, "generated churn rows to train the served model on")
	epochs := flag.Int("epochs", 5, "training epochs")
	inferenceLog := flag.Bool("inference-log", true, "the gateway writes every predicted row to the durable inference log, as mlpipe serve does by default")
	flushRows := flag.Int("log-flush-rows", 10_000, "the inference log's --log-flush-rows")
	compareLog := flag.Bool("compare-log", true, "with -inference-log, also measure a gateway with the log off in the same alternating rounds, so the log's cost reads off one run")
	memory := flag.Bool("memory", false, "instead of measuring throughput, start the gateway in a child process and report its memory under one burst of large requests (see -burst-*)")
	burstURL := flag.String("burst", "", "instead of measuring, send one burst of large requests to this predict URL (see -burst-*)")
	burstPID := flag.Int("burst-pid", 0, "with -burst: the gateway's process, whose resident memory is reported")
	burstConns := flag.Int("burst-conns", 16, "with -burst: requests sent at once")
	burstRows := flag.Int("burst-rows", 100_000, "with -burst: rows per request")
	burstSettle := flag.Duration("burst-settle", 30*time.Second, "with -burst: how long after the burst to read the memory again")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (client, bare handler and gateways) to this file")
	blockProfile := flag.String("blockprofile", "", "write a goroutine blocking profile of the whole run to this file (where the request path waits)")
	mutexProfile := flag.String("mutexprofile", "", "write a mutex contention profile of the whole run to this file")
	flag.Parse()
	if *blockProfile != "" {
		runtime.SetBlockProfileRate(int(10 * time.Microsecond)) // sample waits, one per 10 µs blocked
		defer writeProfile("block", *blockProfile)
	}
	if *mutexProfile != "" {
		runtime.SetMutexProfileFraction(10)
		defer writeProfile("mutex", *mutexProfile)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench serving: -cpuprofile:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *memory || *burstURL != "" {
		bc := burstConfig{url: *burstURL, pid: *burstPID, conns: *burstConns, rows: *burstRows,
			settle: *burstSettle, sampleEvery: 10 * time.Millisecond, generateSeed: 7}
		run := burst
		if *memory {
			run = burstChild
		}
		if err := run(ctx, os.Stdout, bc); err != nil {
			fmt.Fprintln(os.Stderr, "bench serving:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Stdout, config{duration: *duration, rounds: *rounds, warmup: *warmup, conns: *conns, soak: *soak,
		serve: *serve, trainRows: *trainRows, epochs: *epochs, inferenceLog: *inferenceLog, compareLog: *compareLog, flushRows: *flushRows}); err != nil {
		fmt.Fprintln(os.Stderr, "bench serving:", err)
		os.Exit(1)
	}
}

type config struct {
	duration, warmup, soak time.Duration
	conns, trainRows       int
	rounds                 int
	epochs                 int
	serve                  bool
	inferenceLog           bool
	compareLog             bool
	flushRows              int
}

// batchSizes are the rows per request the issue asks about.
var batchSizes = []int{1, 32}

func run(ctx context.Context, out io.Writer, c config) error {
	if c.conns <= 0 || c.duration <= 0 || c.rounds <= 0 {
		return fmt.Errorf("-conns, -duration and -rounds must be positive")
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "mlpipe-bench-serving-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(out, "training the churn model on %d generated rows (%d epochs)...\n", c.trainRows, c.epochs)
	fx, err := newFixture(ctx, dir, c.trainRows, c.epochs, c.inferenceLog, c.compareLog && c.inferenceLog && !c.serve, c.flushRows, logger)
	if err != nil {
		return err
	}
	defer fx.close()
	gwURL, bareURL := fx.gateway.url+"/v1/models/"+modelName+":predict", fx.bare.url+"/v1/models/"+modelName+":predict"
	if c.serve {
		return serveForWrk(ctx, out, dir, fx, gwURL, bareURL, c)
	}

	targets := []struct{ name, url string }{{"bare", bareURL}, {"gateway", gwURL}}
	if fx.unlogged != nil {
		targets[1].name = "gateway, log on"
		targets = append(targets, struct{ name, url string }{"gateway, log off", fx.unlogged.url + "/v1/models/" + modelName + ":predict"})
	}
	results := make([]result, 0, len(batchSizes)*len(targets))
	for _, n := range batchSizes {
		for _, tgt := range targets {
			results = append(results, result{target: tgt.name, rows: n})
		}
	}
	slice := c.duration / time.Duration(c.rounds)
	// ratios[i] holds, per round, each gateway's throughput over the bare
	// handler's in that same round: a round shares its noise, so the
	// median of these is steadier than the ratio of the totals.
	ratios := make([][]float64, len(results))
	for round := 1; round <= c.rounds; round++ {
		fmt.Fprintf(out, "  round %d of %d: each case %s, %d connections\n", round, c.rounds, slice, c.conns)
		for i, n := range batchSizes {
			bodies := fx.bodies(n)
			// Each round starts with another target: whatever a case leaves
			// behind (the log's background writes, garbage) then falls on
			// every target in turn rather than always on the next one.
			rates := make([]float64, len(targets))
			for k := range targets {
				j := (k + round) % len(targets)
				tgt := targets[j]
				r, err := load(ctx, tgt.url, bodies, c.conns, c.warmup, slice, nil)
				if err != nil {
					return fmt.Errorf("%s %d-row: %w", tgt.name, n, err)
				}
				results[i*len(targets)+j].add(r)
				rates[j] = r.reqPerSec()
			}
			for j := 1; j < len(targets); j++ {
				if rates[0] > 0 { // targets[0] is the bare handler
					ratios[i*len(targets)+j] = append(ratios[i*len(targets)+j], rates[j]/rates[0])
				}
			}
		}
	}
	printTable(out, c, results)
	printRoundRatios(out, results, ratios)

	if c.soak > 0 {
		fmt.Fprintf(out, "\nsoak: gateway, 1-row requests, %d connections, %s...\n", c.conns, c.soak)
		s, err := soak(ctx, gwURL, fx.bodies(1), c.conns, c.soak)
		if err != nil {
			return fmt.Errorf("soak: %w", err)
		}
		printSoak(out, s)
	}
	return nil
}

func printTable(out io.Writer, c config, rs []result) {
	fmt.Fprintf(out, "\n%s %s/%s, %d CPUs (GOMAXPROCS %d); client and servers share the process; %d connections, %s per case in %d alternating rounds, each after %s warm-up; inference log %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), c.conns, c.duration, c.rounds, c.warmup, onOff(c.inferenceLog))
	fmt.Fprintln(out, "| case | req/s | rows/s | p50 | p99 | errors | throughput gateway/bare | p99 gateway/bare |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	bare := map[int]result{}
	for _, r := range rs {
		tput, p99 := "", ""
		if r.target == "bare" {
			bare[r.rows] = r
		} else if b, ok := bare[r.rows]; ok && b.reqPerSec() > 0 && b.p99 > 0 {
			tput = fmt.Sprintf("%.2f (target ≥ 0.70: %s)", r.reqPerSec()/b.reqPerSec(), verdict(r.reqPerSec()/b.reqPerSec() >= 0.70))
			p99 = fmt.Sprintf("%.2f (target ≤ 1.5: %s)", float64(r.p99)/float64(b.p99), verdict(float64(r.p99) <= 1.5*float64(b.p99)))
		}
		fmt.Fprintf(out, "| %s, %d-row | %.0f | %.0f | %s | %s | %d | %s | %s |\n",
			r.target, r.rows, r.reqPerSec(), r.reqPerSec()*float64(r.rows), fmtDur(r.p50), fmtDur(r.p99), r.errors, tput, p99)
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}

// printRoundRatios prints, per case, the median over rounds of the
// gateway's throughput over the bare handler's in the same round, and the
// log's cost as the median of log off minus log on round by round.
func printRoundRatios(out io.Writer, rs []result, ratios [][]float64) {
	fmt.Fprintln(out, "\n| case | median of per-round gateway/bare | rounds |")
	fmt.Fprintln(out, "| --- | ---: | ---: |")
	for i, r := range rs {
		if len(ratios[i]) == 0 {
			continue
		}
		fmt.Fprintf(out, "| %s, %d-row | %.3f | %d |\n", r.target, r.rows, median(ratios[i]), len(ratios[i]))
	}
	for i := range rs {
		if rs[i].target != "gateway, log on" || i+1 >= len(rs) || rs[i+1].target != "gateway, log off" {
			continue
		}
		on, off := ratios[i], ratios[i+1]
		diffs := make([]float64, 0, len(on))
		for k := range min(len(on), len(off)) {
			diffs = append(diffs, off[k]-on[k])
		}
		if len(diffs) > 0 {
			ratio, verdict := median(on), "met"
			if ratio < preLogRatio-0.03 {
				verdict = "missed"
			}
			fmt.Fprintf(out, "\n%d-row: with the log on, the gateway answers %.3f× the bare handler's requests (the issue: at most 0.03 below the %.2f it had before the log: %s); the log itself costs %.3f of the ratio against the same gateway with the log off (median over %d rounds of log off minus log on)\n",
				rs[i].rows, ratio, preLogRatio, verdict, median(diffs), len(diffs))
		}
	}
}

// preLogRatio is the top of the gateway's throughput ratio to the bare
// handler before the inference log existed (0.77–0.82, the issue that
// asked for the log); with the log on it may drop at most 0.03 below.
const preLogRatio = 0.82

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// writeProfile writes one of runtime/pprof's named profiles to path.
func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup(name).WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench serving: -%sprofile: %v\n", name, err)
	}
}
