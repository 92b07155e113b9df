package artifact

import (
	"errors"
	"fmt"
	"strings"
)

// Ref points at one immutable artifact. It is what workflows pass around instead
// of the data itself, so it stays small and JSON-friendly.
type Ref struct {
	URI       string `json:"uri"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type,omitempty"`
}

// String renders the reference the way logs and error messages show it.
func (r Ref) String() string {
	d := r.SHA256
	if len(d) > 12 {
		d = d[:12]
	}
	return fmt.Sprintf("%s (sha256:%s, %d bytes)", r.URI, d, r.Size)
}

var (
	// ErrExists is returned by Store.Create when the key already holds an object.
	ErrExists = errors.New("artifact already exists")
	// ErrNotFound is returned when a key or URI names nothing.
	ErrNotFound = errors.New("artifact does not exist")
	// ErrDigestMismatch is returned when bytes read back do not match their Ref.
	ErrDigestMismatch = errors.New("artifact digest mismatch")
)

// tmpPrefix marks in-flight writes; List never reports such names.
const tmpPrefix = ".mlpipe-tmp-"

// ValidateKey checks that key is a relative slash path with no empty, "." or ".."
// segments, so that it cannot escape the store's root on any backend.
func ValidateKey(key string) error {
	if key == "" {
		return errors.New("artifact key is empty: give a slash path such as datasets/churn/raw.csv")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("artifact key %q must not start or end with '/'", key)
	}
	if strings.Contains(key, `\`) {
		return fmt.Errorf("artifact key %q must use '/' as separator, not '\\'", key)
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("artifact key %q has an empty path segment ('//')", key)
		case seg == "." || seg == "..":
			return fmt.Errorf("artifact key %q must not contain %q segments", key, seg)
		case strings.HasPrefix(seg, tmpPrefix):
			return fmt.Errorf("artifact key %q: segment prefix %q is reserved for in-flight writes", key, tmpPrefix)
		}
	}
	return nil
}
