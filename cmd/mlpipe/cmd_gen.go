package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/mlpipe/mlpipe/internal/gen"
)

// gen writes example data.
func (m *Main) gen(ctx context.Context, args []string) error {
	fs := newFlags("gen")
	rows := fs.Int("rows", 5000, "number of rows")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	out := fs.String("o", "", "output CSV (default stdout)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "churn" {
		return usageErr("usage: mlpipe gen churn --rows N --seed S [-o file.csv]")
	}
	if *rows <= 0 {
		return usageErr("--rows must be positive")
	}
	var buf bytes.Buffer
	if err := gen.Churn(&buf, *rows, *seed, time.Now().UTC()); err != nil {
		return err
	}
	if *out == "" {
		_, err := m.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.MkdirAll(dirOf(*out), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(*out, buf.Bytes())
}

func dirOf(path string) string { return filepath.Dir(path) }
