package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// One versitygw serves all S3 cases; each uses its own prefix.
func TestS3Store(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testenv.StartS3(t)
	ctx := context.Background()
	open := func(t *testing.T) *artifact.S3Store {
		s, err := artifact.Open(ctx, srv.URI(t.Name()))
		require.NoError(t, err)
		return s.(*artifact.S3Store)
	}

	t.Run("put get stat list", func(t *testing.T) {
		s := open(t)
		ref, err := s.Put(ctx, "datasets/churn/raw.csv", strings.NewReader("hello\n"), "text/csv")
		require.NoError(t, err)
		assert.Equal(t, artifact.Ref{
			URI: "s3://" + srv.Bucket + "/" + t.Name() + "/datasets/churn/raw.csv", SHA256: helloSHA, Size: 6, MediaType: "text/csv",
		}, ref)

		got, ok, err := s.Stat(ctx, "datasets/churn/raw.csv")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, ref, got)

		_, ok, err = s.Stat(ctx, "datasets/churn/none.csv")
		require.NoError(t, err)
		assert.False(t, ok)

		data, err := artifact.ReadAll(ctx, ref) // through OpenURI's s3:// path
		require.NoError(t, err)
		assert.Equal(t, "hello\n", string(data))

		_, err = artifact.PutBytes(ctx, s, "datasets/other/raw.csv", []byte("x"), "")
		require.NoError(t, err)
		keys, err := s.List(ctx, "datasets/churn/")
		require.NoError(t, err)
		assert.Equal(t, []string{"datasets/churn/raw.csv"}, keys)
		keys, err = s.List(ctx, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"datasets/churn/raw.csv", "datasets/other/raw.csv"}, keys)

		_, err = s.Get(ctx, "datasets/churn/none.csv")
		assert.ErrorIs(t, err, artifact.ErrNotFound)
	})

	t.Run("failed upload leaves nothing", func(t *testing.T) {
		s := open(t)
		_, err := s.Put(ctx, "models/m.bin", &failingReader{}, "")
		require.ErrorContains(t, err, "connection reset")
		keys, err := s.List(ctx, "")
		require.NoError(t, err)
		assert.Empty(t, keys)
	})

	t.Run("create only", func(t *testing.T) {
		s := open(t)
		_, err := s.Create(ctx, "registry/m/versions/1.json", strings.NewReader("first"), "application/json")
		require.NoError(t, err)
		_, err = s.Create(ctx, "registry/m/versions/1.json", strings.NewReader("second"), "application/json")
		require.ErrorIs(t, err, artifact.ErrExists)
		data, err := artifact.GetBytes(ctx, s, "registry/m/versions/1.json")
		require.NoError(t, err)
		assert.Equal(t, "first", string(data))
	})

	t.Run("concurrent create has one winner", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		results := make([]error, 10)
		for i := range results {
			wg.Go(func() {
				_, results[i] = s.Create(ctx, "lock.json", strings.NewReader(strings.Repeat("x", i+1)), "")
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			if err == nil {
				wins++
			} else {
				assert.ErrorIs(t, err, artifact.ErrExists)
			}
		}
		assert.Equal(t, 1, wins)
	})

	t.Run("multipart upload", func(t *testing.T) {
		s := open(t)
		s.SetPartSize(5 << 20)                                        // S3's minimum part size
		data := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16) // 11 MiB: three parts
		sum := sha256.Sum256(data)
		ref, err := s.Create(ctx, "big.bin", bytes.NewReader(data), "")
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString(sum[:]), ref.SHA256)
		assert.Equal(t, int64(11<<20), ref.Size)
		got, err := artifact.ReadAll(ctx, ref)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "round trip changed the bytes")

		_, err = s.Create(ctx, "big.bin", bytes.NewReader(data), "")
		assert.ErrorIs(t, err, artifact.ErrExists)
	})

	t.Run("stat hashes foreign objects", func(t *testing.T) {
		s := open(t)
		_, err := srv.Client(ctx).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(srv.Bucket), Key: aws.String(t.Name() + "/foreign.txt"), Body: strings.NewReader("hello\n"),
		})
		require.NoError(t, err)
		ref, ok, err := s.Stat(ctx, "foreign.txt")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, helloSHA, ref.SHA256)
		assert.Equal(t, int64(6), ref.Size)
	})
}
