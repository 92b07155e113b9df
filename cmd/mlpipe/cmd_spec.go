package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// spec prints the resolved, self-contained workflow input.
func (m *Main) spec(ctx context.Context, args []string) error {
	fs := newFlags("spec")
	file := fs.String("f", "", "pipeline spec (YAML)")
	out := fs.String("o", "", "write the JSON here instead of stdout")
	var sets overrides
	fs.Var(&sets, "set", "override a spec value: path.to.key=YAML (repeatable)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	p, err := loadSpec(*file, sets...)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = m.Stdout.Write(b)
		return err
	}
	return writeFileAtomic(*out, b)
}

func loadSpec(file string, sets ...spec.Override) (*spec.Pipeline, error) {
	if file == "" {
		return nil, usageErr("-f pipeline.yaml is required")
	}
	p, err := spec.Load(file, sets...)
	if err != nil {
		return nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	return p, nil
}

// writeFileAtomic writes through a temporary file and a rename, so a reader
// never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(dirOf(path), ".mlpipe-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// overrides collects repeated --set flags.
type overrides []spec.Override

func (o *overrides) String() string { return fmt.Sprint(*o) }

func (o *overrides) Set(s string) error {
	v, err := spec.ParseOverride(s)
	if err != nil {
		return err
	}
	*o = append(*o, v)
	return nil
}
