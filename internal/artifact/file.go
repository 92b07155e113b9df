package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// FileStore keeps artifacts as plain files under a root directory. Writes go to
// a temporary file in the destination directory, are fsynced, and then renamed
// (Put) or hard-linked (Create) into place, so a reader never sees a partial file.
type FileStore struct {
	root string
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens (and creates) the store rooted at dir; a relative dir is
// made absolute against the working directory so URIs stay valid elsewhere.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		dir = DefaultLocation
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("artifact store %s: create directory: %w", abs, err)
	}
	return &FileStore{root: abs}, nil
}

// Root is the absolute directory the store writes under.
func (s *FileStore) Root() string { return s.root }

func (s *FileStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// URI returns file:///<root>/<key>.
func (s *FileStore) URI(key string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(s.path(key))}).String()
}

// Put writes r under key, replacing any previous object.
func (s *FileStore) Put(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error) {
	return s.write(ctx, key, r, mediaType, false)
}

// Create writes r under key unless the key exists (ErrExists). The final step is
// os.Link, which the kernel refuses atomically if the name is taken.
func (s *FileStore) Create(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error) {
	return s.write(ctx, key, r, mediaType, true)
}

func (s *FileStore) write(ctx context.Context, key string, r io.Reader, mediaType string, createOnly bool) (ref Ref, err error) {
	if err := ValidateKey(key); err != nil {
		return Ref{}, err
	}
	final := s.path(key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Ref{}, fmt.Errorf("write %s: create directory: %w", s.URI(key), err)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return Ref{}, fmt.Errorf("write %s: %w", s.URI(key), err)
	}
	tmp := f.Name()
	// The temp file never outlives this call: renamed away, or removed here.
	defer func() {
		_ = f.Close()
		if rmErr := os.Remove(tmp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("write %s: remove temp file: %w", s.URI(key), rmErr)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return Ref{}, fmt.Errorf("write %s: %w", s.URI(key), err)
	}
	digest, size, err := spool(ctx, f, r)
	if err != nil {
		return Ref{}, fmt.Errorf("write %s: %w", s.URI(key), err)
	}
	if err := f.Close(); err != nil {
		return Ref{}, fmt.Errorf("write %s: close: %w", s.URI(key), err)
	}
	if createOnly {
		if err := os.Link(tmp, final); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return Ref{}, fmt.Errorf("create %s: %w", s.URI(key), ErrExists)
			}
			return Ref{}, fmt.Errorf("create %s: %w", s.URI(key), err)
		}
	} else if err := os.Rename(tmp, final); err != nil {
		return Ref{}, fmt.Errorf("write %s: %w", s.URI(key), err)
	}
	if err := syncDir(dir); err != nil {
		return Ref{}, fmt.Errorf("write %s: sync directory: %w", s.URI(key), err)
	}
	return Ref{URI: s.URI(key), SHA256: digest, Size: size, MediaType: mediaType}, nil
}

// syncDir makes a rename or link durable across a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get opens the file under key.
func (s *FileStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	return openFile(s.path(key))
}

// Stat hashes the file under key. The file store keeps no side metadata, so
// MediaType is guessed from the key's extension.
func (s *FileStore) Stat(ctx context.Context, key string) (Ref, bool, error) {
	if err := ValidateKey(key); err != nil {
		return Ref{}, false, err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Ref{}, false, nil
	}
	if err != nil {
		return Ref{}, false, fmt.Errorf("stat %s: %w", s.URI(key), err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return Ref{}, false, fmt.Errorf("stat %s: %w", s.URI(key), err)
	} else if fi.IsDir() {
		return Ref{}, false, nil
	}
	digest, size, err := digestOf(ctx, f)
	if err != nil {
		return Ref{}, false, fmt.Errorf("stat %s: %w", s.URI(key), err)
	}
	return Ref{URI: s.URI(key), SHA256: digest, Size: size, MediaType: mime.TypeByExtension(path.Ext(key))}, true, nil
}

// List walks only the directory the prefix names, so listing one model's
// versions does not scan the whole store.
func (s *FileStore) List(ctx context.Context, prefix string) ([]string, error) {
	base := prefix
	if !strings.HasSuffix(base, "/") {
		base = path.Dir(base)
	}
	base = strings.Trim(base, "/")
	if base == "." {
		base = ""
	}
	start := filepath.Join(s.root, filepath.FromSlash(base))
	var keys []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.URI(prefix), err)
	}
	sort.Strings(keys)
	return keys, nil
}

// openFile opens a local file with an error that says plainly when it is missing.
func openFile(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w: no file at that path", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", p, ErrIsDirectory)
	}
	return f, nil
}
