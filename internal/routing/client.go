package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a gateway's admin API (bearer-token protected).
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// SetRouting replaces a model's routing and returns what the gateway stored.
func (c Client) SetRouting(ctx context.Context, r Routing) (Routing, error) {
	var out Routing
	err := c.do(ctx, http.MethodPut, "/admin/models/"+url.PathEscape(r.Model)+"/routing", r, &out)
	return out, err
}

// Routing reads a model's routing.
func (c Client) Routing(ctx context.Context, model string) (Routing, error) {
	var out Routing
	err := c.do(ctx, http.MethodGet, "/admin/models/"+url.PathEscape(model)+"/routing", nil, &out)
	return out, err
}

// Stats reads a model's per-variant counters since its routing changed.
func (c Client) Stats(ctx context.Context, model string) (Stats, error) {
	var out Stats
	err := c.do(ctx, http.MethodGet, "/admin/models/"+url.PathEscape(model)+"/stats", nil, &out)
	return out, err
}

// Reload makes the gateway re-read the registry now.
func (c Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/admin/reload", nil, nil)
}

func (c Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// url.Error repeats the method and URL; say them once.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		// The body is quoted in errors that travel through Temporal, which
		// refuses strings that are not UTF-8; a long page is cut.
		body := strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
		if len(body) > 512 {
			body = strings.ToValidUTF8(body[:512], "") + "…"
		}
		return &StatusError{Method: method, URL: u, Code: resp.StatusCode, Body: body}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, u, err)
		}
	}
	return nil
}

// StatusError is a non-2xx answer from the gateway.
type StatusError struct {
	Method, URL string
	Code        int
	Body        string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Code, http.StatusText(e.Code), e.Body)
}
