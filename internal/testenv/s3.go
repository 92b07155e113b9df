// Package testenv starts the real services mlpipe's tests run against, as plain
// processes: here, an S3 server (versitygw) for the artifact store.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// EnvVersitygw names the versitygw binary to use instead of <module root>/bin/versitygw.
const EnvVersitygw = "MLPIPE_VERSITYGW"

// S3Server is a running versitygw with one empty bucket.
type S3Server struct {
	Endpoint  string // e.g. http://127.0.0.1:41234
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
}

// URI is s3://<bucket>/<prefix>, ready for artifact.Open.
func (s S3Server) URI(prefix string) string {
	return "s3://" + s.Bucket + "/" + strings.Trim(prefix, "/")
}

// StartS3 runs a real S3 server (versitygw, posix backend in t.TempDir()) for
// the test, creates a bucket, and points MLPIPE_S3_ENDPOINT, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION at it with t.Setenv — so the calling
// test must not use t.Parallel. The server stops when the test ends.
func StartS3(t testing.TB) S3Server {
	t.Helper()
	if testing.Short() {
		// make unit (go test -short) runs where no server was built.
		t.Skip("starts versitygw, a real S3 server: not under -short")
	}
	bin := findVersitygw(t)
	srv := S3Server{Bucket: "mlpipe-test", AccessKey: "mlpipetest", SecretKey: "mlpipetestsecret", Region: "us-east-1"}

	// A free port can be taken between probing and binding; try a few.
	var lastErr error
	for range 3 {
		addr, err := freeLoopbackAddr()
		if err != nil {
			t.Fatalf("testenv: find a free port for versitygw: %v", err)
		}
		if lastErr = startVersitygw(t, bin, addr, srv); lastErr == nil {
			srv.Endpoint = "http://" + addr
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("testenv: start versitygw: %v", lastErr)
	}

	t.Setenv("MLPIPE_S3_ENDPOINT", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
	t.Setenv("AWS_SESSION_TOKEN", "")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.Client(ctx).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(srv.Bucket)}); err != nil {
		t.Fatalf("testenv: create bucket %s on versitygw at %s: %v", srv.Bucket, srv.Endpoint, err)
	}
	return srv
}

// Client returns an S3 client for the server, independent of the environment.
func (s S3Server) Client(ctx context.Context) *s3.Client {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(s.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")),
	)
	if err != nil {
		panic(fmt.Sprintf("testenv: load AWS config: %v", err)) // static inputs: cannot fail in practice
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
	})
}

// startVersitygw launches the gateway and waits until it answers HTTP; on
// failure it returns the process's output so the reason is visible.
func startVersitygw(t testing.TB, bin, addr string, srv S3Server) error {
	root := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--access", srv.AccessKey, "--secret", srv.SecretKey,
		"--region", srv.Region, "--port", addr, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		if err := <-exited; err != nil {
			t.Logf("testenv: versitygw stopped: %v", err)
		}
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // keep stop() from blocking
			return fmt.Errorf("versitygw exited early (%v): %s", err, strings.TrimSpace(out.String()))
		default:
		}
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			_ = resp.Body.Close() // any HTTP answer, even 403, means it is serving
			t.Cleanup(stop)
			return nil
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("versitygw did not answer on %s within 20s: %s", addr, strings.TrimSpace(out.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// findVersitygw looks in $MLPIPE_VERSITYGW, then <module root>/bin, then PATH.
func findVersitygw(t testing.TB) string {
	t.Helper()
	return Tool(t, "versitygw", EnvVersitygw)
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
