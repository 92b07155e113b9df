package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StaleTempAge is how old an in-flight write's temporary file must be
// before SweepTemps removes it. A live write keeps touching its file as
// bytes arrive, so only a writer that died (kill -9, power loss) leaves
// one this old behind.
const StaleTempAge = time.Hour

// SweepTemps removes the temporary files that writers killed mid-write
// left behind: ".mlpipe-tmp-*" files under a file store's root, and the
// local spool files an S3 upload keeps in the system's temp folder, when
// they were last written longer than olderThan ago. Readers never see
// these files (List skips them); they only take disk space. It returns
// how many it removed.
func SweepTemps(ctx context.Context, store Store, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	var dirs []string
	switch s := store.(type) {
	case *FileStore:
		dirs = append(dirs, s.root)
	case *S3Store:
		dirs = append(dirs, os.TempDir())
	default:
		return 0, nil
	}
	removed := 0
	var errs []error
	for _, dir := range dirs {
		n, err := sweepDir(ctx, dir, cutoff, dir == os.TempDir())
		removed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// sweepDir removes stale temp files under root; shallow keeps to root's
// own entries (the system temp folder holds other programs' trees).
func sweepDir(ctx context.Context, root string, cutoff time.Time, shallow bool) (int, error) {
	removed := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil // gone meanwhile, or not ours to read
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if shallow && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(d.Name(), tmpPrefix) || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("sweep temporary files under %s: %w", root, err)
	}
	return removed, nil
}

// SweepTempsInBackground runs SweepTemps once, off the caller's path, and
// logs what it removed or why it could not.
func SweepTempsInBackground(ctx context.Context, store Store, logger *slog.Logger) {
	go func() {
		n, err := SweepTemps(ctx, store, StaleTempAge)
		if err != nil && ctx.Err() == nil {
			logger.Warn("artifact store: could not remove every stale temporary file", "err", err, "removed", n)
			return
		}
		if n > 0 {
			logger.Info("artifact store: removed temporary files that killed writers left", "files", n, "older_than", StaleTempAge)
		}
	}()
}
