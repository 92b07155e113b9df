package artifact

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPClient fetches http:// and https:// sources. It bounds connecting and
// waiting for response headers but not the body, so a large dataset may stream
// as long as the caller's context allows.
var HTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	},
}

// OpenURI opens any artifact reference or external source: a plain path,
// file:///abs/path, s3://bucket/key (configured as NewS3Client describes) or
// http(s)://host/path.
func OpenURI(ctx context.Context, uri string) (io.ReadCloser, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return openFile(uri)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("open %s: file URIs must be absolute, like file:///abs/path (for a relative path, drop the file:// prefix)", uri)
		}
		return openFile(u.Path)
	case "s3":
		key := strings.TrimPrefix(u.Path, "/")
		if u.Host == "" || key == "" {
			return nil, fmt.Errorf("open %s: write s3://bucket/key", uri)
		}
		client, err := NewS3Client(ctx)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", uri, err)
		}
		return getObject(ctx, client, u.Host, key)
	case "http", "https":
		return openHTTP(ctx, uri)
	default:
		return nil, fmt.Errorf("open %s: unsupported scheme %q, use a path, file://, s3://, http:// or https://", uri, u.Scheme)
	}
}

func openHTTP(ctx context.Context, uri string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", uri, err)
	}
	resp, err := HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", uri, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("open %s: server answered %s: %w", uri, resp.Status, ErrNotFound)
		}
		return nil, fmt.Errorf("open %s: server answered %s", uri, resp.Status)
	}
	return resp.Body, nil
}
