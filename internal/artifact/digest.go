package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// ctxReader stops a long copy as soon as its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// spool copies r into f while hashing it, then flushes f to stable storage, so
// the digest and size describe exactly the bytes that will be published.
func spool(ctx context.Context, f *os.File, r io.Reader) (digest string, size int64, err error) {
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return "", 0, fmt.Errorf("copy: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// digestOf hashes a whole stream.
func digestOf(ctx context.Context, r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, r})
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// verifyingReader passes bytes through and, at EOF, fails instead of ending
// cleanly when they do not match the reference.
type verifyingReader struct {
	rc   io.ReadCloser
	ref  Ref
	h    hash.Hash
	n    int64
	done bool
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF && !v.done {
		v.done = true
		if verr := checkDigest(v.ref, hex.EncodeToString(v.h.Sum(nil)), v.n); verr != nil {
			return n, verr
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

func checkDigest(ref Ref, digest string, size int64) error {
	if ref.Size > 0 && size != ref.Size {
		return fmt.Errorf("%w: %s is %d bytes, the reference says %d: the artifact was changed or truncated; re-run the stage that produced it",
			ErrDigestMismatch, ref.URI, size, ref.Size)
	}
	if ref.SHA256 != "" && digest != ref.SHA256 {
		return fmt.Errorf("%w: %s has sha256 %s, the reference says %s: the artifact was changed; re-run the stage that produced it",
			ErrDigestMismatch, ref.URI, digest, ref.SHA256)
	}
	return nil
}

// OpenRef opens the artifact a Ref points at. The reader returns an error
// wrapping ErrDigestMismatch instead of io.EOF when the bytes do not match the
// Ref's size or sha256, so a consumer that reads to the end never trusts
// corrupt data.
func OpenRef(ctx context.Context, ref Ref) (io.ReadCloser, error) {
	rc, err := OpenURI(ctx, ref.URI)
	if err != nil {
		return nil, err
	}
	return &verifyingReader{rc: rc, ref: ref, h: sha256.New()}, nil
}

// ReadAll reads the whole artifact a Ref points at and checks its digest.
func ReadAll(ctx context.Context, ref Ref) ([]byte, error) {
	rc, err := OpenRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref.URI, err)
	}
	return data, nil
}
