package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// EnvS3Endpoint overrides the S3 endpoint (any S3-compatible server, e.g.
// versitygw at http://127.0.0.1:7070) and switches to path-style addressing.
const EnvS3Endpoint = "MLPIPE_S3_ENDPOINT"

// metaSHA256 is the user-metadata key that carries an object's digest, so Stat
// need not download the object to describe it.
const metaSHA256 = "sha256"

// NewS3Client builds an S3 client from the environment: the usual AWS chain
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, ...), AWS_REGION
// (default us-east-1) and MLPIPE_S3_ENDPOINT.
func NewS3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := os.Getenv(EnvS3Endpoint)
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	}), nil
}

// S3Store keeps artifacts as objects under bucket/prefix. Each write is spooled
// to a local temp file first: that yields the digest before upload (stored as
// object metadata) and a seekable body for retries. An object becomes visible
// only when its single PutObject or CompleteMultipartUpload succeeds, so a
// failed upload never leaves a partial object under the key.
type S3Store struct {
	client *s3.Client
	bucket string
	prefix string
	// partSize is the multipart chunk; objects up to this size go in one PutObject.
	partSize int64
}

var _ Store = (*S3Store)(nil)

// NewS3Store returns a store over an existing bucket.
func NewS3Store(client *s3.Client, bucket, prefix string) *S3Store {
	return &S3Store{client: client, bucket: bucket, prefix: strings.Trim(prefix, "/"), partSize: 64 << 20}
}

func (s *S3Store) objectKey(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// URI returns s3://bucket/prefix/key.
func (s *S3Store) URI(key string) string { return "s3://" + s.bucket + "/" + s.objectKey(key) }

// Put uploads r under key, replacing any previous object.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error) {
	return s.write(ctx, key, r, mediaType, false)
}

// Create uploads r under key with If-None-Match: *, which the server refuses
// atomically (412, reported as ErrExists) when the key is taken.
func (s *S3Store) Create(ctx context.Context, key string, r io.Reader, mediaType string) (Ref, error) {
	return s.write(ctx, key, r, mediaType, true)
}

func (s *S3Store) write(ctx context.Context, key string, r io.Reader, mediaType string, createOnly bool) (Ref, error) {
	if err := ValidateKey(key); err != nil {
		return Ref{}, err
	}
	uri := s.URI(key)
	f, err := os.CreateTemp("", tmpPrefix+"*")
	if err != nil {
		return Ref{}, fmt.Errorf("write %s: spool: %w", uri, err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	digest, size, err := spool(ctx, f, r)
	if err != nil {
		return Ref{}, fmt.Errorf("write %s: %w", uri, err)
	}
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	up := upload{s: s, f: f, key: s.objectKey(key), size: size, digest: digest, mediaType: mediaType, createOnly: createOnly}
	// A 409 means another conditional write to the same key is in flight; S3
	// asks the client to retry, after which it resolves to success or 412.
	for attempt := 0; ; attempt++ {
		if size <= s.partSize {
			err = up.single(ctx)
		} else {
			err = up.multipart(ctx)
		}
		if httpStatus(err) != http.StatusConflict || attempt == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return Ref{}, fmt.Errorf("write %s: %w", uri, ctx.Err())
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		}
	}
	if err != nil {
		if createOnly && httpStatus(err) == http.StatusPreconditionFailed {
			return Ref{}, fmt.Errorf("create %s: %w", uri, ErrExists)
		}
		return Ref{}, fmt.Errorf("write %s: %w", uri, err)
	}
	return Ref{URI: uri, SHA256: digest, Size: size, MediaType: mediaType}, nil
}

// upload is one publish attempt of a spooled file.
type upload struct {
	s          *S3Store
	f          *os.File
	key        string
	size       int64
	digest     string
	mediaType  string
	createOnly bool
}

func (u upload) ifNoneMatch() *string {
	if u.createOnly {
		return aws.String("*")
	}
	return nil
}

func (u upload) single(ctx context.Context) error {
	_, err := u.s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(u.s.bucket),
		Key:           aws.String(u.key),
		Body:          io.NewSectionReader(u.f, 0, u.size),
		ContentLength: aws.Int64(u.size),
		ContentType:   aws.String(u.mediaType),
		Metadata:      map[string]string{metaSHA256: u.digest},
		IfNoneMatch:   u.ifNoneMatch(),
	})
	return err
}

func (u upload) multipart(ctx context.Context) (err error) {
	c := u.s.client
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(u.s.bucket),
		Key:         aws.String(u.key),
		ContentType: aws.String(u.mediaType),
		Metadata:    map[string]string{metaSHA256: u.digest},
	})
	if err != nil {
		return fmt.Errorf("start multipart upload: %w", err)
	}
	defer func() {
		if err != nil {
			// Abort with a fresh context: the caller's may be what failed.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if _, aerr := c.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(u.s.bucket), Key: aws.String(u.key), UploadId: created.UploadId,
			}); aerr != nil {
				err = errors.Join(err, fmt.Errorf("abort multipart upload: %w", aerr))
			}
		}
	}()
	var parts []types.CompletedPart
	for off, n := int64(0), int32(1); off < u.size; off, n = off+u.s.partSize, n+1 {
		length := min(u.s.partSize, u.size-off)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(u.s.bucket),
			Key:           aws.String(u.key),
			UploadId:      created.UploadId,
			PartNumber:    aws.Int32(n),
			Body:          io.NewSectionReader(u.f, off, length),
			ContentLength: aws.Int64(length),
		})
		if err != nil {
			return fmt.Errorf("upload part %d: %w", n, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.s.bucket),
		Key:             aws.String(u.key),
		UploadId:        created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     u.ifNoneMatch(),
	})
	return err
}

// Get opens the object under key.
func (s *S3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	return getObject(ctx, s.client, s.bucket, s.objectKey(key))
}

func getObject(ctx context.Context, c *s3.Client, bucket, key string) (io.ReadCloser, error) {
	rc, _, err := getObjectInfo(ctx, c, bucket, key, SourceInfo{})
	return rc, err
}

// getObjectInfo opens an object and fills info from the response.
func getObjectInfo(ctx context.Context, c *s3.Client, bucket, key string, info SourceInfo) (io.ReadCloser, SourceInfo, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if httpStatus(err) == http.StatusNotFound {
		return nil, info, fmt.Errorf("open s3://%s/%s: %w: no such object (or bucket)", bucket, key, ErrNotFound)
	}
	if err != nil {
		return nil, info, fmt.Errorf("open s3://%s/%s: %w", bucket, key, err)
	}
	if out.ContentLength != nil {
		info.Size = *out.ContentLength
	}
	if out.LastModified != nil {
		info.ModTime = out.LastModified.UTC()
	}
	info.ETag = aws.ToString(out.ETag)
	return out.Body, info, nil
}

// Stat reads the object's metadata; only an object written by another tool,
// without the sha256 metadata, is downloaded to hash it.
func (s *S3Store) Stat(ctx context.Context, key string) (Ref, bool, error) {
	if err := ValidateKey(key); err != nil {
		return Ref{}, false, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	if httpStatus(err) == http.StatusNotFound {
		return Ref{}, false, nil
	}
	if err != nil {
		return Ref{}, false, fmt.Errorf("stat %s: %w", s.URI(key), err)
	}
	ref := Ref{URI: s.URI(key), SHA256: out.Metadata[metaSHA256], Size: aws.ToInt64(out.ContentLength), MediaType: aws.ToString(out.ContentType)}
	if ref.SHA256 == "" {
		rc, err := s.Get(ctx, key)
		if err != nil {
			return Ref{}, false, fmt.Errorf("stat %s: %w", s.URI(key), err)
		}
		defer rc.Close()
		if ref.SHA256, ref.Size, err = digestOf(ctx, rc); err != nil {
			return Ref{}, false, fmt.Errorf("stat %s: hash: %w", s.URI(key), err)
		}
	}
	return ref, true, nil
}

// List returns the keys under prefix, relative to the store's own prefix.
func (s *S3Store) List(ctx context.Context, prefix string) ([]string, error) {
	full := s.objectKey(prefix)
	if prefix == "" && s.prefix != "" {
		full = s.prefix + "/"
	}
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(full)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.URI(prefix), err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if s.prefix != "" {
				k = strings.TrimPrefix(k, s.prefix+"/")
			}
			if strings.HasSuffix(k, "/") { // directory markers some tools create
				continue
			}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// httpStatus is the HTTP status behind an SDK error, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
