package artifact

import (
	"context"
	"io"
	"net"
	"net/http"
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
// http(s)://host/path. It is OpenSource without the source's description.
func OpenURI(ctx context.Context, uri string) (io.ReadCloser, error) {
	rc, _, err := OpenSource(ctx, uri)
	return rc, err
}
