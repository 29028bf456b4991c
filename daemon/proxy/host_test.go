package proxy

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// hostRequest sends a GET for path with the given Host and Origin (none if
// empty) and returns the status and up to 4 KiB of the body; it does not
// wait for a stream to end.
func hostRequest(t *testing.T, c *http.Client, url, path, host, origin string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", path, host, err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(b)
}

// A page of another site that rebinds its name to 127.0.0.1 must not read
// the events stream (build errors: paths, messages, code); the app's own
// routes are the app's business and pass whatever the Host.
func TestOwnEndpointsRefuseForeignHosts(t *testing.T) {
	tests := []struct {
		name, public, host, origin string
		want                       int
	}{
		{"localhost", "127.0.0.1:8080", "localhost:8080", "", http.StatusOK},
		{"127.0.0.1 on another port", "127.0.0.1:8080", "127.0.0.1:9999", "", http.StatusOK},
		{"[::1]", "127.0.0.1:8080", "[::1]:8080", "", http.StatusOK},
		{"a name under .localhost", "127.0.0.1:8080", "shop.localhost:8080", "http://shop.localhost:8080", http.StatusOK},
		{"the configured name", "dev.example.test:8080", "Dev.Example.Test:8080", "", http.StatusOK},
		{"same-origin page", "127.0.0.1:8080", "localhost:8080", "http://localhost:8080", http.StatusOK},
		{"rebound name", "127.0.0.1:8080", "evil.example:8080", "", http.StatusForbidden},
		{"rebound name without port", "127.0.0.1:8080", "evil.example", "", http.StatusForbidden},
		{"foreign origin", "127.0.0.1:8080", "localhost:8080", "http://evil.example", http.StatusForbidden},
		{"null origin", "127.0.0.1:8080", "localhost:8080", "null", http.StatusForbidden},
		{"another IP while on loopback", "127.0.0.1:8080", "192.168.1.20:8080", "", http.StatusForbidden},
		{"an IP while on every interface", "0.0.0.0:8080", "192.168.1.20:8080", "", http.StatusOK},
		{"a name while on every interface", "0.0.0.0:8080", "evil.example:8080", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Options{LiveReload: true, PublicAddr: tt.public})
			p.Switch(addr(backend(t, "v1")))
			p.Fail("main.go:3:1: secret build error")
			url := front(t, p)
			c := client(t)
			status, body := hostRequest(t, c, url, EventsPath, tt.host, tt.origin)
			if status != tt.want {
				t.Fatalf("%s with Host %q Origin %q: %d %q, want %d", EventsPath, tt.host, tt.origin, status, body, tt.want)
			}
			if status == http.StatusForbidden {
				if strings.Contains(body, "secret") || strings.Count(strings.TrimSpace(body), "\n") > 0 || !strings.HasPrefix(body, "ginhotd: refused") {
					t.Errorf("403 body %q: want one line saying why, and no build error", body)
				}
				if status, _ := hostRequest(t, c, url, OwnPrefix+"other", tt.host, tt.origin); status != http.StatusForbidden {
					t.Errorf("%sother answered %d, want 403 like every /__ginhot/ path", OwnPrefix, status)
				}
			}
			if status, body := hostRequest(t, c, url, "/api", tt.host, tt.origin); status != http.StatusOK || body != "v1 /api" {
				t.Errorf("the app's route /api: %d %q, want it forwarded", status, body)
			}
		})
	}
}

// The 502 page carries the last build's errors: only to a page of this
// machine.
func TestUnavailablePageHidesFailureFromForeignHosts(t *testing.T) {
	p := New(Options{LiveReload: true, PublicAddr: "127.0.0.1:8080"})
	p.Fail("main.go:3:1: secret build error")
	url := front(t, p)
	c := client(t)
	status, body := hostRequest(t, c, url, "/", "evil.example:8080", "")
	if status != http.StatusBadGateway || strings.Contains(body, "secret") || strings.Contains(body, EventsPath) {
		t.Errorf("foreign Host: %d %q, want a 502 without the failure or the live-reload script", status, body)
	}
	status, body = hostRequest(t, c, url, "/", "localhost:8080", "")
	if status != http.StatusBadGateway || !strings.Contains(body, "secret build error") {
		t.Errorf("localhost: %d %q, want a 502 with the failure", status, body)
	}
}
