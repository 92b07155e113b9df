package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// IngestData reads a source (file://, s3://, http(s)://; CSV, Parquet or
// JSON lines) into the data plane, typed by mlpipe's rules, and stores it
// as Parquet with its profile: datasets/<pipeline>/<digest16>/data.parquet
// and profile.json, keyed by the sha256 of the source's raw bytes. A
// malformed row, text that is not UTF-8, a non-finite number, a missing
// target column or a header with no rows fails here, naming it, and
// nothing is stored. A local file that changes while it is read fails with
// a retryable SourceChanged error.
func (a *Activities) IngestData(ctx context.Context, in IngestDataInput) (IngestDataResult, error) {
	// A killed worker is noticed within the stage's heartbeat timeout,
	// not only at its 30-minute timeout.
	defer startHeartbeat(ctx, TrialHeartbeatInterval, nil).stop()
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

	// Spool locally, hashing the raw bytes: the engine reads local files,
	// and the data is checked before anything is stored. The extension
	// tells the engine the format.
	dir, err := os.MkdirTemp("", "mlpipe-ingest-*")
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: spool: %w", in.Source, err)
	}
	defer os.RemoveAll(dir)
	spool := filepath.Join(dir, "source"+sourceExt(in.Source))
	digest, err := spoolSource(spool, r)
	var re *readErr
	switch {
	case errors.Is(err, artifact.ErrSourceChanged):
		return IngestDataResult{}, temporal.NewApplicationError(fmt.Sprintf("ingest %s: %v", in.Source, err), ErrSourceChanged)
	case errors.As(err, &re):
		return IngestDataResult{}, fmt.Errorf("ingest %s: read: %w", in.Source, re.err)
	case err != nil:
		return IngestDataResult{}, fmt.Errorf("ingest %s: %w", in.Source, err)
	}
	// The stage cache keys the dataset by the source's content (not its
	// name); the extension is there because it tells the engine the
	// format. The columns the spec names are checked against the recorded
	// header, so a changed spec does not make the data read again.
	key, err := cacheKey(cacheIngestion, in.Pipeline, digest, sourceExt(in.Source))
	if err != nil {
		return IngestDataResult{}, err
	}
	var rec Dataset
	if from, ok := a.cached(ctx, in.Cache, cacheIngestion, key, &rec); ok {
		if err := checkColumns(in, rec.Columns); err != nil {
			return IngestDataResult{}, err
		}
		// The lineage is the source as this run read it.
		rec.Source, rec.SourceSHA256 = &info, digest
		return IngestDataResult{Dataset: rec, Attempt: attempt, Cached: from}, nil
	}

	eng, err := dataplane.Open(dataplane.Options{TempDir: filepath.Join(dir, "spill")})
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: %w", in.Source, err)
	}
	defer func() { _ = eng.Close() }()
	tab, err := eng.Load(ctx, spool, dataplane.LoadOptions{Source: in.Source})
	if err != nil {
		return IngestDataResult{}, dataError("ingest", err)
	}
	names := tab.Names()
	if err := checkColumns(in, names); err != nil {
		return IngestDataResult{}, err
	}
	if tab.Rows == 0 {
		return IngestDataResult{}, invalid("ingest %s: the file has a header but no rows (columns: %s): is it the file you meant?", in.Source, strings.Join(names, ", "))
	}

	for _, c := range tab.Columns {
		if c.NotNumbers != "" {
			// Read as text, as the rules say; the schema check names the
			// cells, and the log says so early.
			activity.GetLogger(ctx).Warn("column of numbers read as text", "source", in.Source, "column", c.Name, "why", c.NotNumbers)
		}
	}
	ds := Dataset{Rows: int(tab.Rows), Columns: names, Source: &info, Format: string(dataplane.FormatParquet),
		Schema: tab.Columns, SourceFormat: string(tab.Format), SourceSHA256: digest}
	prefix := fmt.Sprintf("datasets/%s/%s/", in.Pipeline, digest[:16])
	// The same source gives the same dataset: reuse a complete one (the
	// profile is stored last, so its presence means the data is whole).
	if dref, ok, err := a.Store.Stat(ctx, prefix+"data.parquet"); err == nil && ok {
		if pref, ok, err := a.Store.Stat(ctx, prefix+"profile.json"); err == nil && ok {
			ds.Ref, ds.Profile = dref, pref
			a.record(ctx, cacheIngestion, key, []artifact.Ref{ds.Ref, ds.Profile}, ds)
			return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
		}
	}

	local := filepath.Join(dir, "data.parquet")
	if err := eng.WriteParquet(ctx, tab, local); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: %w", in.Source, err)
	}
	prof, err := eng.Profile(ctx, tab)
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: %w", in.Source, err)
	}
	if ds.Ref, err = putFile(ctx, a.Store, prefix+"data.parquet", local, dataplane.ParquetMediaType); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: store: %w", in.Source, err)
	}
	prof.Source = ds.Ref.URI + " (sha256:" + ds.Ref.SHA256 + ")"
	prof.Created = time.Now().UTC().Truncate(time.Second)
	body, err := json.MarshalIndent(prof, "", " ")
	if err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: encode profile: %w", in.Source, err)
	}
	if ds.Profile, err = artifact.PutBytes(ctx, a.Store, prefix+"profile.json", body, "application/json"); err != nil {
		return IngestDataResult{}, fmt.Errorf("ingest %s: store profile: %w", in.Source, err)
	}
	a.record(ctx, cacheIngestion, key, []artifact.Ref{ds.Ref, ds.Profile}, ds)
	return IngestDataResult{Dataset: ds, Attempt: attempt}, nil
}

// checkColumns refuses a header that lacks a column the spec names or the
// target, naming each.
func checkColumns(in IngestDataInput, names []string) error {
	if err := in.Columns.Check(names); err != nil {
		return invalid("ingest %s: %v", in.Source, err)
	}
	if in.Target != "" && !slices.Contains(names, in.Target) {
		return invalid("ingest %s: target column %q does not exist; the columns are %s (fix data.target)",
			in.Source, in.Target, strings.Join(names, ", "))
	}
	return nil
}

// spoolSource copies r to path and returns the sha256 of its bytes.
func spoolSource(path string, r io.Reader) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		_ = f.Close()
		return "", &readErr{err}
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readErr is a failure to read the source, as opposed to the spool.
type readErr struct{ err error }

func (e *readErr) Error() string { return e.err.Error() }
func (e *readErr) Unwrap() error { return e.err }

// putFile stores a local file under key.
func putFile(ctx context.Context, store artifact.Store, key, path, media string) (artifact.Ref, error) {
	f, err := os.Open(path)
	if err != nil {
		return artifact.Ref{}, err
	}
	defer f.Close()
	return store.Put(ctx, key, f, media)
}

// sourceExt is the source's file extension when it names a format the
// engine reads, so the spooled copy keeps it; otherwise the engine sniffs.
func sourceExt(source string) string {
	p := source
	if u, err := url.Parse(source); err == nil && u.Scheme != "" {
		p = u.Path
	}
	switch ext := strings.ToLower(path.Ext(p)); ext {
	case ".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json":
		return ext
	}
	return ".data"
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

// readFrame loads a stored dataset, checking its digest: the Parquet that
// ingestion writes, or the raw CSV that datasets ingested before it hold.
// Data that no longer parses, or no longer matches its digest, is bad
// input.
func readFrame(ctx context.Context, ref artifact.Ref) (*frame.Frame, error) {
	if isParquet(ref) {
		local, cleanup, err := dataplane.Fetch(ctx, ref)
		if err != nil {
			return nil, dataError("read dataset", err)
		}
		defer cleanup()
		eng, err := dataplane.Open(dataplane.Options{})
		if err != nil {
			return nil, fmt.Errorf("read dataset %s: %w", ref.URI, err)
		}
		defer func() { _ = eng.Close() }()
		f, err := eng.ReadFrame(ctx, local)
		if err != nil {
			return nil, dataError("read dataset", err)
		}
		return f, nil
	}
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

// isParquet tells a Parquet dataset from a raw CSV one.
func isParquet(ref artifact.Ref) bool {
	return ref.MediaType == dataplane.ParquetMediaType || strings.HasSuffix(strings.ToLower(ref.URI), ".parquet")
}
