package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
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
	if err := m.checkHeader(ctx, *file, p); err != nil {
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

// checkHeader checks the columns the spec names against its source's
// header, when the source is a local file or an http(s) URL, so a
// misspelt column is refused before any work. The ingestion stage checks
// again; a header that cannot be read here is only a warning.
func (m *Main) checkHeader(ctx context.Context, file string, p *spec.Pipeline) error {
	src := p.Data.Source
	if !strings.HasPrefix(src, "file://") && !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return nil
	}
	switch strings.ToLower(filepath.Ext(strings.SplitN(src, "?", 2)[0])) {
	case ".parquet", ".pq", ".jsonl", ".ndjson", ".json":
		return nil // no CSV header to read; ingestion checks the columns
	}
	header, err := readHeader(ctx, src)
	if err != nil {
		fmt.Fprintf(m.Stderr, "warning: the columns the spec names were not checked against %s: %v (the ingestion stage checks them)\n", src, err)
		return nil
	}
	if err := p.CheckHeader(header); err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("spec %s, checked against the header of %s: %v", file, src, err)}
	}
	return nil
}

// readHeader reads the first record of a CSV source as ingestion reads it:
// a byte-order mark skipped, names trimmed.
func readHeader(ctx context.Context, uri string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rc, err := artifact.OpenURI(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read its header: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
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
