package testenv_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/testenv"
)

func TestStartS3ServesTheBucketAndSetsTheEnvironment(t *testing.T) {
	srv := testenv.StartS3(t)
	assert.Equal(t, srv.Endpoint, os.Getenv("MLPIPE_S3_ENDPOINT"))
	assert.Equal(t, srv.AccessKey, os.Getenv("AWS_ACCESS_KEY_ID"))
	assert.Equal(t, srv.SecretKey, os.Getenv("AWS_SECRET_ACCESS_KEY"))
	assert.Equal(t, "s3://"+srv.Bucket+"/runs/1", srv.URI("/runs/1/"))

	ctx := context.Background()
	c := srv.Client(ctx)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("a/b.txt"), Body: strings.NewReader("hi")})
	require.NoError(t, err)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("a/b.txt")})
	require.NoError(t, err)
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(body))
}
