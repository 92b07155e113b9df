package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/mlpipe/mlpipe/internal/gen"
)

// gen writes example data: churn (binary) or plans (three classes).
func (m *Main) gen(ctx context.Context, args []string) error {
	fs := newFlags("gen")
	rows := fs.Int("rows", 5000, "number of rows")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	out := fs.String("o", "", "output CSV (default stdout)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "churn" && pos[0] != "plans") {
		return usageErr("usage: mlpipe gen churn|plans --rows N --seed S [-o file.csv]\n" +
			"  churn: customers and whether they churned (binary)\n" +
			"  plans: customers and the plan they chose: basic, plus or premium (3 classes)")
	}
	if *rows <= 0 {
		return usageErr("--rows must be positive")
	}
	var buf bytes.Buffer
	if pos[0] == "plans" {
		err = gen.Plans(&buf, *rows, *seed)
	} else {
		err = gen.Churn(&buf, *rows, *seed, time.Now().UTC())
	}
	if err != nil {
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
