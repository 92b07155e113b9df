package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// IngestData copies a source CSV (file://, s3://, http(s)://) into the
// artifact store, content-addressed by its sha256. The CSV is parsed first:
// a malformed row, text that is not UTF-8, a non-finite number or a missing
// target column fails here, naming it, and nothing is stored. A local file
// that changes while it is read fails with a retryable SourceChanged error.
func (a *Activities) IngestData(ctx context.Context, in IngestDataInput) (IngestDataResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	src, info, err := artifact.OpenSource(ctx, in.Source)
	if err != nil {
		return IngestDataResult{}, sourceError(in.Source, err)
	}
	defer src.Close()
	var r io.Reader = src
	if a.OnSourceRead != nil {
		r = &firstRead{r: src, hook: func() { a.OnSourceRead(in.Source) }}
	}

	// Spool locally so the data is parsed before anything is stored.
	tmp, err := os.CreateTemp("", "mlpipe-ingest-*.csv")
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: spool: %w", in.Source, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		if errors.Is(err, artifact.ErrSourceChanged) {
			return IngestDataResult{}, temporal.NewApplicationError(fmt.Sprintf("ingest %s: %v", in.Source, err), ErrSourceChanged)
		}
		return IngestDataResult{}, fmt.Errorf("ingest %s: read: %w", in.Source, err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: spool: %w", in.Source, err)
	}
	f, err := frame.ReadCSV(tmp, frame.ReadOptions{Source: in.Source})
	if err != nil {
		return IngestDataResult{}, dataError("ingest", err)
	}
	names := f.Names()
	if err := in.Columns.Check(names); err != nil {
		return IngestDataResult{}, invalid("ingest %s: %v", in.Source, err)
	}
	if in.Target != "" && !slices.Contains(names, in.Target) {
		return IngestDataResult{}, invalid("ingest %s: target column %q does not exist; the columns are %s (fix data.target)",
			in.Source, in.Target, strings.Join(names, ", "))
	}
	if f.NumRows() == 0 {
		return IngestDataResult{}, invalid("ingest %s: the file has a header but no rows (columns: %s): is it the file you meant?", in.Source, strings.Join(names, ", "))
	}

	ds := Dataset{Rows: f.NumRows(), Columns: names, Source: &info}
	key := fmt.Sprintf("datasets/%s/%s/raw.csv", in.Pipeline, digest[:16])
	if ref, ok, err := a.Store.Stat(ctx, key); err == nil && ok && ref.SHA256 == digest {
		ds.Ref = ref
		return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: spool: %w", in.Source, err)
	}
	ref, err := a.Store.Put(ctx, key, tmp, "text/csv")
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: store: %w", in.Source, err)
	}
	ds.Ref = ref
	return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
}

// sourceError says what is wrong with a source that cannot be opened. A
// path that names nothing, a directory, or a file the worker may not read
// will not heal by retrying; a network or server error may.
func sourceError(source string, err error) error {
	switch {
	case errors.Is(err, artifact.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return invalid("ingest %s: %v: check data.source (a relative path is resolved against the spec's folder)", source, err)
	case errors.Is(err, artifact.ErrIsDirectory):
		return invalid("ingest %s: is a directory; point data.source at a file", source)
	case errors.Is(err, fs.ErrPermission):
		return invalid("ingest %s: permission denied: the worker (uid %d) may not read it; give it read access or point data.source at a copy it can read", source, os.Geteuid())
	}
	return fmt.Errorf("ingest %s: %w", source, err)
}

// dataError makes a CSV's content problem (a bad row, cell or header) a
// non-retryable InvalidInput error; an I/O error stays retryable.
func dataError(stage string, err error) error {
	var de *frame.DataError
	if errors.As(err, &de) || errors.Is(err, artifact.ErrDigestMismatch) {
		return invalid("%s: %v", stage, err)
	}
	return fmt.Errorf("%s: %w", stage, err)
}

// firstRead calls hook once, after the first bytes are read.
type firstRead struct {
	r    io.Reader
	hook func()
	done bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.done {
		f.done = true
		f.hook()
	}
	return n, err
}

// readFrame loads a stored CSV dataset, checking its digest. Data that no
// longer parses, or no longer matches its digest, is bad input.
func readFrame(ctx context.Context, ref artifact.Ref) (*frame.Frame, error) {
	rc, err := artifact.OpenRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ref.URI, err)
	}
	defer rc.Close()
	f, err := frame.ReadCSV(rc, frame.ReadOptions{Source: ref.URI})
	if err != nil {
		return nil, dataError("read dataset", err)
	}
	return f, nil
}
