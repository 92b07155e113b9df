package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// IngestData copies a source CSV (file://, s3://, http(s)://) into the
// artifact store, content-addressed by its sha256. The CSV is parsed first:
// a malformed row or a missing target column fails here, naming it, and
// nothing is stored.
func (a *Activities) IngestData(ctx context.Context, in IngestDataInput) (IngestDataResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	src, err := artifact.OpenURI(ctx, in.Source)
	if err != nil {
		if errors.Is(err, artifact.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return IngestDataResult{}, invalid("ingest %s: %v", in.Source, err)
		}
		return IngestDataResult{}, fmt.Errorf("ingest %s: %w", in.Source, err)
	}
	defer src.Close()

	// Spool locally so the data is parsed before anything is stored.
	tmp, err := os.CreateTemp("", "mlpipe-ingest-*.csv")
	if err != nil {
		return IngestDataResult{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), src); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: read: %w", in.Source, err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return IngestDataResult{}, err
	}
	f, err := frame.ReadCSV(tmp, frame.ReadOptions{Source: in.Source})
	if err != nil {
		return IngestDataResult{}, invalid("ingest: %v", err)
	}
	names := f.Names()
	if in.Target != "" && !slices.Contains(names, in.Target) {
		return IngestDataResult{}, invalid("ingest %s: target column %q does not exist; the columns are %s (fix data.target)",
			in.Source, in.Target, strings.Join(names, ", "))
	}
	if f.NumRows() == 0 {
		return IngestDataResult{}, invalid("ingest %s: the file has a header but no rows", in.Source)
	}
	ds := Dataset{Rows: f.NumRows(), Columns: names}
	key := fmt.Sprintf("datasets/%s/%s/raw.csv", in.Pipeline, digest[:16])
	if ref, ok, err := a.Store.Stat(ctx, key); err == nil && ok && ref.SHA256 == digest {
		ds.Ref = ref
		return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return IngestDataResult{}, err
	}
	ref, err := a.Store.Put(ctx, key, tmp, "text/csv")
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: store: %w", in.Source, err)
	}
	ds.Ref = ref
	return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
}

// readFrame loads a stored CSV dataset, checking its digest.
func readFrame(ctx context.Context, ref artifact.Ref) (*frame.Frame, error) {
	rc, err := artifact.OpenRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ref.URI, err)
	}
	defer rc.Close()
	f, err := frame.ReadCSV(rc, frame.ReadOptions{Source: ref.URI})
	if err != nil {
		return nil, err
	}
	return f, nil
}
