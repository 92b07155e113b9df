package artifact

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// DefaultLocation is where artifacts go when no location is configured.
const DefaultLocation = ".mlpipe/artifacts"

// Store holds artifacts under slash-path keys such as datasets/churn/<sha>/raw.csv.
// Implementations are safe for concurrent use.
type Store interface {
	// Put writes r under key, replacing any previous object atomically.
	Put(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error)
	// Create writes r under key only if the key is free; otherwise it returns an
	// error wrapping ErrExists and leaves the existing object untouched.
	Create(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error)
	// Get opens the object under key; a missing key is an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object under key; ok is false when there is none.
	Stat(ctx context.Context, key string) (ref Ref, ok bool, err error)
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes the object under key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URI is the address of key that OpenURI understands.
	URI(key string) string
}

// Open returns the store at location: "" (DefaultLocation), a plain path, a
// file:///abs/dir URI, or s3://bucket/prefix. S3 is configured from the
// environment; see NewS3Client.
func Open(ctx context.Context, location string) (Store, error) {
	if location == "" {
		location = DefaultLocation
	}
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" {
		return NewFileStore(location)
	}
	switch u.Scheme {
	case "file":
		return NewFileStore(u.Path)
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("open artifact store %q: missing bucket name, write s3://bucket/prefix", location)
		}
		client, err := NewS3Client(ctx)
		if err != nil {
			return nil, fmt.Errorf("open artifact store %q: %w", location, err)
		}
		return NewS3Store(client, u.Host, strings.Trim(u.Path, "/")), nil
	default:
		return nil, fmt.Errorf("open artifact store %q: unsupported scheme %q, use a path, file://, or s3://", location, u.Scheme)
	}
}

// PutBytes is Put for data already in memory.
func PutBytes(ctx context.Context, s Store, key string, data []byte, mediaType string) (Ref, error) {
	return s.Put(ctx, key, bytes.NewReader(data), mediaType)
}

// GetBytes reads the whole object under key.
func GetBytes(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.URI(key), err)
	}
	return data, nil
}
