package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrSourceChanged is returned by a source reader, instead of io.EOF,
	// when a local file changed while it was read (it is still being
	// written, most likely): the bytes read are no consistent snapshot.
	ErrSourceChanged = errors.New("the file changed while being read")
	// ErrIsDirectory is returned when a source names a directory.
	ErrIsDirectory = errors.New("is a directory, not a file")
)

// SourceInfo is what a source said about itself when it was opened: the
// lineage of a dataset, so a later reader can tell which version of a
// changing source it came from. Fields a source does not report stay zero.
type SourceInfo struct {
	URI string `json:"uri"`
	// Size is the file's size, or the Content-Length of an http(s) or s3
	// response; -1 when the source does not say.
	Size int64 `json:"size"`
	// ModTime is the file's modification time, or the Last-Modified of an
	// http(s) or s3 response.
	ModTime time.Time `json:"mod_time,omitzero"`
	// ETag is an http(s) or s3 response's entity tag.
	ETag string `json:"etag,omitempty"`
}

// OpenSource opens a source as OpenURI does and reports what it says about
// itself. Reading a local file to its end fails with ErrSourceChanged when
// the file's size or modification time changed since it was opened, or the
// bytes read are not the size it had then.
func OpenSource(ctx context.Context, uri string) (io.ReadCloser, SourceInfo, error) {
	info := SourceInfo{URI: uri, Size: -1}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return openSourceFile(uri, info)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, info, fmt.Errorf("open %s: file URIs must be absolute, like file:///abs/path (for a relative path, drop the file:// prefix)", uri)
		}
		return openSourceFile(u.Path, info)
	case "s3":
		key := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || key == "" {
			return nil, info, fmt.Errorf("open %s: write s3://bucket/key", uri)
		}
		client, err := NewS3Client(ctx)
		if err != nil {
			return nil, info, fmt.Errorf("open %s: %w", uri, err)
		}
		return getObjectInfo(ctx, client, u.Host, key, info)
	case "http", "https":
		return openHTTP(ctx, uri, info)
	default:
		return nil, info, fmt.Errorf("open %s: unsupported scheme %q, use a path, file://, s3://, http:// or https://", uri, u.Scheme)
	}
}

func openSourceFile(p string, info SourceInfo) (io.ReadCloser, SourceInfo, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, info, fmt.Errorf("open %s: %w: no file at that path", p, ErrNotFound)
	}
	if err != nil {
		return nil, info, fmt.Errorf("open %s: %w", p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, info, fmt.Errorf("open %s: %w", p, err)
	}
	if fi.IsDir() {
		_ = f.Close()
		return nil, info, fmt.Errorf("open %s: %w", p, ErrIsDirectory)
	}
	info.Size, info.ModTime = fi.Size(), fi.ModTime().UTC()
	return &stableFile{f: f, path: p, size: fi.Size(), mod: fi.ModTime()}, info, nil
}

// stableFile reads a local file and, at its end, checks that the file is
// the one it opened: same size and modification time, and as many bytes
// read as it had. The file's own handle is stat'ed, so a file atomically
// replaced by rename is still read whole, as the version that was opened.
type stableFile struct {
	f    *os.File
	path string
	size int64
	mod  time.Time
	n    int64
	done bool
}

func (s *stableFile) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	s.n += int64(n)
	if errors.Is(err, io.EOF) && !s.done {
		s.done = true
		if cerr := s.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func (s *stableFile) check() error {
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: stat after reading: %w", s.path, err)
	}
	switch {
	case fi.Size() != s.size:
		return fmt.Errorf("read %s: %w: its size went from %d to %d bytes; wait until it is completely written", s.path, ErrSourceChanged, s.size, fi.Size())
	case !fi.ModTime().Equal(s.mod):
		return fmt.Errorf("read %s: %w: it was modified at %s, after it was opened; wait until it is completely written", s.path, ErrSourceChanged, fi.ModTime().UTC().Format(time.RFC3339Nano))
	case s.n != s.size:
		return fmt.Errorf("read %s: %w: %d bytes were read of the %d it had when opened; wait until it is completely written", s.path, ErrSourceChanged, s.n, s.size)
	}
	return nil
}

func (s *stableFile) Close() error { return s.f.Close() }

func openHTTP(ctx context.Context, uri string, info SourceInfo) (io.ReadCloser, SourceInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, info, fmt.Errorf("open %s: %w", uri, err)
	}
	resp, err := HTTPClient.Do(req)
	if err != nil {
		return nil, info, fmt.Errorf("open %s: %w", uri, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, info, fmt.Errorf("open %s: server answered %s: %w", uri, resp.Status, ErrNotFound)
		}
		return nil, info, fmt.Errorf("open %s: server answered %s", uri, resp.Status)
	}
	// Go's client already fails a body shorter than its Content-Length
	// (io.ErrUnexpectedEOF), so a cut-off download is never taken as whole.
	info.Size = resp.ContentLength
	info.ETag = resp.Header.Get("ETag")
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			info.ModTime = t.UTC()
		}
	}
	return resp.Body, info, nil
}

// sizeText is a SourceInfo's size for messages.
func (s SourceInfo) sizeText() string {
	if s.Size < 0 {
		return "size unknown"
	}
	return strconv.FormatInt(s.Size, 10) + " bytes"
}

// String describes the source for logs and messages.
func (s SourceInfo) String() string {
	out := s.URI + " (" + s.sizeText()
	if !s.ModTime.IsZero() {
		out += ", modified " + s.ModTime.Format(time.RFC3339)
	}
	if s.ETag != "" {
		out += ", etag " + s.ETag
	}
	return out + ")"
}
