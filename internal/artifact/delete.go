package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Delete removes the file under key; a key with no file is not an error,
// so a retried clean-up succeeds. The directory is synced, so a deletion
// that returned is not undone by a crash.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	p := s.path(key)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return fmt.Errorf("delete %s: is a directory, not an artifact", s.URI(key))
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", s.URI(key), err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("delete %s: sync directory: %w", s.URI(key), err)
	}
	return nil
}

// Delete removes the object under key; S3 answers a missing key with
// success too.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))}); err != nil {
		return fmt.Errorf("delete %s: %w", s.URI(key), err)
	}
	return nil
}
