package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// wait bounds every wait of these tests.
const wait = 120 * time.Second

// client is an LSP client for tests: the go.lsp.dev/jsonrpc2 client side of
// a connection to Serve. It records every notification the server sends,
// and answers window/workDoneProgress/create.
type client struct {
	t    testing.TB
	conn jsonrpc2.Conn
	done chan error // Serve's result

	mu    sync.Mutex
	notes []note
	grew  chan struct{} // closed and replaced when notes grows
}

// note is one message from the server: a notification, or a request the
// client answered.
type note struct {
	method string
	params json.RawMessage
}

// testLogf returns a Logf that logs to t until the test ends.
func testLogf(t testing.TB) func(string, ...any) {
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() {
		mu.Lock()
		ended = true
		mu.Unlock()
	})
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			t.Logf(format, args...)
		}
	}
}

// startServer runs Serve on one end of an in-memory pipe and returns the
// raw other end. Cleanup closes it and waits for Serve to return.
func startServer(t testing.TB, opts Options) (net.Conn, chan error) {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = testLogf(t)
	}
	srv, cli := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), srv, opts) }()
	t.Cleanup(func() {
		_ = cli.Close()
		select {
		case <-done:
		case <-time.After(wait):
			t.Errorf("Serve did not return %v after the client closed the connection", wait)
		}
	})
	return cli, done
}

// newClient starts a server and connects a client to it.
func newClient(t testing.TB, opts Options) *client {
	t.Helper()
	raw, done := startServer(t, opts)
	return connect(t, raw, done)
}

// connect runs a client on conn; done yields the server's result.
func connect(t testing.TB, conn io.ReadWriteCloser, done chan error) *client {
	c := &client{t: t, done: done, grew: make(chan struct{})}
	c.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(conn))
	// AsyncHandler: the client's reader never blocks on its own replies,
	// so an unbuffered pipe cannot deadlock.
	c.conn.Go(context.Background(), jsonrpc2.AsyncHandler(c.handle))
	t.Cleanup(func() { _ = c.conn.Close() })
	return c
}

func (c *client) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	c.mu.Lock()
	c.notes = append(c.notes, note{req.Method(), req.Params()})
	close(c.grew)
	c.grew = make(chan struct{})
	c.mu.Unlock()
	if req.Method() == "window/workDoneProgress/create" {
		return reply(ctx, nil, nil)
	}
	return reply(ctx, nil, jsonrpc2.ErrMethodNotFound)
}

// call sends a request and decodes its result into result (if not nil).
func (c *client) call(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err := c.conn.Call(ctx, method, params, result)
	return err
}

// mustCall is call that fails the test on an error.
func (c *client) mustCall(method string, params, result any) {
	c.t.Helper()
	if err := c.call(method, params, result); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
}

func (c *client) notify(method string, params any) {
	c.t.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatalf("notify %s: %v", method, err)
	}
}

// mark returns the position after the last message received so far.
func (c *client) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.notes)
}

// await returns the first message at or after position from that matches,
// and the position after it. It fails the test after timeout.
func (c *client) await(from int, timeout time.Duration, what string, match func(note) bool) (note, int) {
	c.t.Helper()
	deadline := time.After(timeout)
	for i := from; ; {
		c.mu.Lock()
		notes, grew := c.notes, c.grew
		c.mu.Unlock()
		for ; i < len(notes); i++ {
			if match(notes[i]) {
				return notes[i], i + 1
			}
		}
		select {
		case <-grew:
		case <-deadline:
			c.t.Fatalf("no %s within %v; got:\n%s", what, timeout, c.dump(from))
		}
	}
}

// all returns the messages from position from.
func (c *client) all(from int) []note {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]note(nil), c.notes[min(from, len(c.notes)):]...)
}

// dump lists the messages from position from, for failure messages.
func (c *client) dump(from int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, n := range c.notes[min(from, len(c.notes)):] {
		p := string(n.params)
		if len(p) > 300 {
			p = p[:300] + "…"
		}
		fmt.Fprintf(&b, "  %s %s\n", n.method, p)
	}
	return b.String()
}

// serveResult waits for the server to end and returns Serve's result (or
// the process's exit status).
func (c *client) serveResult() error {
	c.t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		return err
	case <-time.After(wait):
		c.t.Fatalf("Serve did not return within %v", wait)
		return nil
	}
}

// rpcCode returns the JSON-RPC error code of err, or 0.
func rpcCode(err error) jsonrpc2.Code {
	var e *jsonrpc2.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// rawClient writes raw bytes to a server and reads its frames with
// go.lsp.dev/jsonrpc2's strict stream, which fails on anything but a frame.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	msgs chan jsonrpc2.Message
	errc chan error // the reader's final error
}

func newRawClient(t *testing.T, opts Options) *rawClient {
	t.Helper()
	conn, _ := startServer(t, opts)
	r := &rawClient{t: t, conn: conn, msgs: make(chan jsonrpc2.Message, 100), errc: make(chan error, 1)}
	go func() {
		s := jsonrpc2.NewStream(conn)
		for {
			m, _, err := s.Read(context.Background())
			if err != nil {
				r.errc <- err
				close(r.msgs)
				return
			}
			r.msgs <- m
		}
	}()
	return r
}

// send writes s on its own goroutine: the pipe is unbuffered, and the
// server may answer before it has read everything.
func (r *rawClient) send(s string) {
	go func() {
		if err := r.conn.SetWriteDeadline(time.Now().Add(wait)); err != nil {
			r.t.Error(err)
			return
		}
		if _, err := io.WriteString(r.conn, s); err != nil {
			r.t.Errorf("write: %v", err)
		}
	}()
}

// frame returns s with a correct Content-Length header.
func frame(s string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(s), s)
}

// response waits for the next message, which must be a response.
func (r *rawClient) response() *jsonrpc2.Response {
	r.t.Helper()
	select {
	case m, ok := <-r.msgs:
		if !ok {
			r.t.Fatalf("connection ended: %v", <-r.errc)
		}
		resp, ok := m.(*jsonrpc2.Response)
		if !ok {
			r.t.Fatalf("got %T %+v, want a response", m, m)
		}
		return resp
	case <-time.After(wait):
		r.t.Fatalf("no response within %v", wait)
		return nil
	}
}
