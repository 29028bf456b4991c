//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// newClient returns a client that opens a fresh loopback connection per
// request (a reload that kills the app must show, not be hidden by a retry
// on a reused connection) and never uses a proxy from the environment.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
			DialContext:       (&net.Dialer{Timeout: timeout}).DialContext,
		},
	}
}

// get fetches url and returns the status and body.
func get(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", fmt.Errorf("get: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("get: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("get: %w", err)
	}
	return resp.StatusCode, string(b), nil
}

// waitBody polls url every 10 ms until a 200 response's body satisfies ok,
// and returns the time since t0; it reports false when timeout passes first.
func waitBody(ctx context.Context, c *http.Client, url string, ok func(string) bool, t0 time.Time, timeout time.Duration) (time.Duration, bool) {
	return waitBodyEvery(ctx, c, url, ok, t0, timeout, 10*time.Millisecond)
}

// waitBodyEvery is waitBody polling every interval.
func waitBodyEvery(ctx context.Context, c *http.Client, url string, ok func(string) bool, t0 time.Time, timeout, interval time.Duration) (time.Duration, bool) {
	ctx, cancel := context.WithDeadline(ctx, t0.Add(timeout))
	defer cancel()
	for {
		st, body, err := get(ctx, c, url)
		if err == nil && st == http.StatusOK && ok(body) {
			return time.Since(t0), true
		}
		select {
		case <-ctx.Done():
			return time.Since(t0), false
		case <-time.After(interval):
		}
	}
}

func equals(want string) func(string) bool {
	return func(s string) bool { return strings.TrimSpace(s) == want }
}

func contains(want string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, want) }
}

// errKind classifies a failed request.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	return "other"
}

// load sends GET requests to url at rate per second, each with its own
// connection and a 2 s timeout, until stop is closed; every 200 answer's
// body goes to seen.
type load struct {
	mu     sync.Mutex
	total  int
	failed int
	kinds  map[string]int
	wg     sync.WaitGroup
}

func runLoad(ctx context.Context, url string, rate int, stop <-chan struct{}, seen func(string)) *load {
	l := &load{kinds: map[string]int{}}
	c := newClient(2 * time.Second)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				st, body, err := get(context.WithoutCancel(ctx), c, url)
				l.mu.Lock()
				defer l.mu.Unlock()
				l.total++
				switch {
				case err != nil:
					l.failed++
					l.kinds[errKind(err)]++
				case st != http.StatusOK:
					l.failed++
					l.kinds[fmt.Sprintf("status %d", st)]++
				default:
					seen(strings.TrimSpace(body))
				}
			}()
		}
	}()
	return l
}

// wait waits for the requests in flight (each ends within its timeout).
func (l *load) wait() {
	l.wg.Wait()
}
