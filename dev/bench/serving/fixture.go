package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/serving"
)

const modelName = "churn"

// churnSpec is the demo pipeline's feature block (dev/examples/churn).
var churnSpec = features.Spec{Target: "churned", Positive: "yes", Columns: []features.ColumnSpec{
	{Column: "age", Impute: features.ImputeMedian, Scale: features.ScaleStandard},
	{Column: "status", Encode: features.EncodeOneHot},
	{Column: "plan", Impute: features.ImputeMostFrequent, Encode: features.EncodeOneHot},
	{Column: "tenure_months", Impute: features.ImputeMedian, Scale: features.ScaleStandard},
	{Column: "monthly_charges", Impute: features.ImputeMean, Scale: features.ScaleStandard},
	{Column: "support_calls", Impute: features.ImputeMedian, Scale: features.ScaleStandard},
	{Column: "last_activity", Encode: features.EncodeAgeDays},
}, Split: features.SplitSpec{TestSize: 0.2, Seed: 42}}

// fixture is the served model, both servers and the rows to send.
type fixture struct {
	gateway, bare *server
	// unlogged is a second gateway with the inference log off, when the
	// run compares the two; nil otherwise.
	unlogged *server
	gateways []*serving.Gateway
	rows     []map[string]any // request rows: the model's columns only
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// newFixture trains a churn model as the pipeline would, registers and
// promotes it in a file store under dir, and starts the gateway over that
// registry and the bare handler, each on its own loopback port.
func newFixture(ctx context.Context, dir string, trainRows, epochs int, inferenceLog, compareLog bool, flushRows int, logger *slog.Logger) (*fixture, error) {
	var csv bytes.Buffer
	if err := gen.Churn(&csv, trainRows, 7, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		return nil, err
	}
	f, err := frame.ReadCSV(&csv, frame.ReadOptions{Source: "generated churn"})
	if err != nil {
		return nil, err
	}
	b, err := train(ctx, f, epochs)
	if err != nil {
		return nil, err
	}
	store, err := artifact.NewFileStore(dir)
	if err != nil {
		return nil, err
	}
	reg := registry.New(store)
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	ref, err := artifact.PutBytes(ctx, store, "models/churn/bench/bundle.json", data, "application/json")
	if err != nil {
		return nil, err
	}
	v, err := reg.Register(ctx, registry.Version{Name: modelName, Model: ref, Metrics: b.Metadata.Metrics})
	if err != nil {
		return nil, err
	}
	if err := reg.Promote(ctx, modelName, v.Version, registry.Actor("bench")); err != nil {
		return nil, err
	}

	opts := serving.Options{Logger: logger}
	if inferenceLog {
		// As under `mlpipe serve`: every row goes to the durable log in
		// the same store, with its default flush settings.
		opts.InferenceLog = inferlog.WriterOptions{Store: store, FlushRows: flushRows}
	}
	rctx, stop := context.WithCancel(ctx)
	fx := &fixture{stop: stop}
	// Each server's goroutines (its connections, and a gateway's log
	// writer and registry poll) carry a "server" profiler label, so a CPU
	// profile splits by server: go tool pprof -tagfocus=server=...
	start := func(name string, opts serving.Options) (srv *server, err error) {
		pprof.Do(ctx, pprof.Labels("server", name), func(context.Context) {
			gw := serving.New(reg, loadBundle, opts)
			fx.gateways = append(fx.gateways, gw)
			if err = gw.Reload(ctx); err != nil {
				err = fmt.Errorf("gateway: first load: %w", err)
				return
			}
			// The registry poll runs as under `mlpipe serve`, so its cost is counted.
			fx.wg.Go(func() { _ = gw.Run(rctx) })
			srv, err = listen(gw.Handler())
		})
		return srv, err
	}

	fx.rows = requestRows(f)
	if fx.gateway, err = start("gateway-"+onOff(inferenceLog), opts); err != nil {
		fx.close()
		return nil, err
	}
	if compareLog {
		if fx.unlogged, err = start("gateway-off", serving.Options{Logger: logger}); err != nil {
			fx.close()
			return nil, err
		}
	}
	pprof.Do(ctx, pprof.Labels("server", "bare"), func(context.Context) { fx.bare, err = listen(bareHandler()) })
	if err != nil {
		fx.close()
		return nil, err
	}
	// One request each, so a broken setup fails here and not as a table of errors.
	for _, s := range fx.servers() {
		if err := check(s.url+"/v1/models/"+modelName+":predict", fx.bodies(2)[0]); err != nil {
			fx.close()
			return nil, err
		}
	}
	return fx, nil
}

// requestRows are f's rows as a client sends them: every column the model
// takes, an empty cell as null, and nothing else (no ID, no label), since
// the gateway refuses missing columns and keys the model does not take.
func requestRows(f *frame.Frame) []map[string]any {
	rows := f.Records(-1)
	for _, r := range rows {
		send := make(map[string]any, len(churnSpec.Columns))
		for _, c := range churnSpec.Columns {
			send[c.Column] = r[c.Column] // nil for an empty cell
		}
		clear(r)
		maps.Copy(r, send)
	}
	return rows
}

// train does what the pipeline's feature and training stages do: split,
// fit the transform on the training rows, encode, train, and bundle.
func train(ctx context.Context, f *frame.Frame, epochs int) (*bundle.Bundle, error) {
	trainIdx, _, err := features.Split(f, churnSpec)
	if err != nil {
		return nil, err
	}
	tf := f.Take(trainIdx)
	tr, err := features.Fit(tf, churnSpec)
	if err != nil {
		return nil, err
	}
	X, y, err := tr.Apply(tf)
	if err != nil {
		return nil, err
	}
	cfg := model.Config{Epochs: epochs, Seed: 1}.Defaults()
	var loss float64
	m, err := model.Train(ctx, X, y, tr.NumOutputs(), cfg, nil, func(st model.EpochStats, _ *model.Checkpoint) error {
		loss = st.Loss
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &bundle.Bundle{
		Format: bundle.Format, Name: modelName, Labels: tr.Labels, Threshold: 0.5, Transform: tr, Model: m,
		Metadata: bundle.Metadata{Params: cfg, Metrics: map[string]float64{"train_loss": loss},
			WorkflowID: "bench", CodeVersion: "bench", CreatedAt: time.Now().UTC()},
	}, nil
}

// loadBundle is the gateway's loader, as in cmd/mlpipe/stack.go.
func loadBundle(ctx context.Context, v registry.Version) (serving.Predictor, error) {
	b, err := artifact.ReadAll(ctx, v.Model)
	if err != nil {
		return nil, fmt.Errorf("model %s version %d: %w", v.Name, v.Version, err)
	}
	return bundle.Decode(b)
}

// bodies returns predict bodies of n rows each, from different rows, so
// the connections do not all send the same bytes.
func (fx *fixture) bodies(n int) [][]byte {
	const count = 64
	out := make([][]byte, count)
	for i := range out {
		batch := make([]map[string]any, n)
		for j := range batch {
			batch[j] = fx.rows[(i*n+j)%len(fx.rows)]
		}
		b, err := json.Marshal(map[string]any{"instances": batch})
		if err != nil {
			panic(err) // rows from frame.Records always encode
		}
		out[i] = b
	}
	return out
}

// servers are the ones started.
func (fx *fixture) servers() []*server {
	var out []*server
	for _, s := range []*server{fx.gateway, fx.unlogged, fx.bare} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (fx *fixture) close() {
	for _, s := range fx.servers() {
		s.close()
	}
	fx.stop()
	fx.wg.Wait()
	for _, gw := range fx.gateways {
		gw.Close()
	}
}

// server is an http.Server on an ephemeral loopback port.
type server struct {
	url  string
	srv  *http.Server
	done chan struct{}
}

func listen(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("server:", err)
		}
	}()
	return s, nil
}

func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx) // the benchmark is over either way
	<-s.done
}

func check(url string, body []byte) error {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(out))
	}
	var a struct {
		Predictions []json.RawMessage `json:"predictions"`
	}
	if err := json.Unmarshal(out, &a); err != nil || len(a.Predictions) != 2 {
		return fmt.Errorf("POST %s: want 2 predictions, got %s", url, bytes.TrimSpace(out))
	}
	return nil
}
