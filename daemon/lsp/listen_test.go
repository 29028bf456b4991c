package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/uri"
)

func TestListenRefusesRemote(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		err := Listen(context.Background(), addr, false, Options{})
		if err == nil || !strings.Contains(err.Error(), "not loopback") {
			t.Errorf("Listen(%q) = %v, want a refusal naming loopback", addr, err)
		}
	}
	if err := Listen(context.Background(), "127.0.0.1", false, Options{}); err == nil {
		t.Error("Listen without a port succeeded")
	}
}

// logLines collects a daemon's log lines and lets a test wait for one.
type logLines struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
	grew  chan struct{} // closed and replaced when lines grows
}

func newLogLines(t testing.TB) *logLines {
	return &logLines{t: t, grew: make(chan struct{})}
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	close(l.grew)
	l.grew = make(chan struct{})
}

// await returns the first line that matches want. It fails the test when a
// line matching bad (if not nil) comes first, or after timeout.
func (l *logLines) await(timeout time.Duration, want, bad *regexp.Regexp) string {
	l.t.Helper()
	deadline := time.After(timeout)
	for i := 0; ; {
		l.mu.Lock()
		lines, grew := l.lines, l.grew
		l.mu.Unlock()
		for ; i < len(lines); i++ {
			if bad != nil && bad.MatchString(lines[i]) {
				l.t.Fatalf("log line %q came before one matching %q; log:\n%s", lines[i], want, l)
			}
			if want.MatchString(lines[i]) {
				return lines[i]
			}
		}
		select {
		case <-grew:
		case <-deadline:
			l.t.Fatalf("no log line matching %q within %v; log:\n%s", want, timeout, l)
		}
	}
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startListen runs Listen on addr and returns the address it listens on
// (unix:PATH for a socket) and its log. Cleanup cancels it and waits for it
// to return.
func startListen(t *testing.T, addr string) (string, *logLines) {
	t.Helper()
	logs := newLogLines(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := Listen(ctx, addr, false, Options{Logf: logs.logf})
		if err != nil {
			logs.logf("test: Listen: %v", err)
		}
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen after cancel = %v, want nil", err)
			}
		case <-time.After(wait):
			t.Errorf("Listen did not return within %v of cancel", wait)
		}
	})
	got := regexp.MustCompile(`^lsp: listening on (.*)$`)
	line := logs.await(wait, got, regexp.MustCompile(`^test: Listen: `))
	return got.FindStringSubmatch(line)[1], logs
}

// dialClient connects an LSP client to a Listen address.
func dialClient(t *testing.T, addr string) *client {
	t.Helper()
	network := "tcp"
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", p
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return connect(t, conn, make(chan error, 1))
}

// TestListen serves two connections at once, each with its own lifecycle,
// and stops when the context is cancelled.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	logs := newLogLines(t)
	done := make(chan error, 1)
	go func() { done <- Listen(ctx, "127.0.0.1:0", false, Options{Logf: logs.logf}) }()
	got := regexp.MustCompile(`^lsp: listening on (.*)$`)
	addr := got.FindStringSubmatch(logs.await(wait, got, nil))[1]

	a, b := dialClient(t, addr), dialClient(t, addr)
	a.mustCall("initialize", emptyInit(), nil)
	if err := b.call("shutdown", nil, nil); rpcCode(err) != jsonrpc2.ServerNotInitialized {
		t.Errorf("second connection: shutdown before initialize = %v, want ServerNotInitialized", err)
	}
	a.mustCall("shutdown", nil, nil)
	b.mustCall("initialize", emptyInit(), nil)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen after cancel = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Listen did not return after cancel")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the address still accepts connections after Listen returned")
	}
}

// toolexecMarker returns a -toolexec program that creates marker before it
// runs the tool: proof that a build ran with a client's build flags.
func toolexecMarker(t *testing.T) (script, marker string) {
	dir := t.TempDir()
	marker = filepath.Join(dir, "toolexec-ran")
	script = filepath.Join(dir, "toolexec.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n: > '"+marker+"'\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, marker
}

// attackFrames are the LSP frames a hostile web page puts in a request
// body: a sacrificial frame (the old framer read the whole body as one
// frame after the HTTP Content-Length header, then resynchronised on the
// second frame), initialize of the fixture module with a -toolexec of its
// choosing, then initialized, which starts a session and its build.
func attackFrames(t *testing.T) (frames, marker string) {
	t.Helper()
	dir := copyFixture(t, "app")
	script, marker := toolexecMarker(t)
	init, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "initialize",
		"params": map[string]any{
			"processId":    nil,
			"rootUri":      string(uri.File(dir)),
			"capabilities": map[string]any{},
			"initializationOptions": map[string]any{
				"addr": "127.0.0.1:0", "live_reload": false,
				"build_flags": []string{"-toolexec=" + script},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return frame("{}") + frame(string(init)) + frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`), marker
}

var (
	// refused is the log line of a connection closed before Serve.
	refused = regexp.MustCompile(`^lsp: closed connection from 127\.0\.0\.1:\d+ unread: not LSP: `)
	// served is the log line of a connection handed to Serve.
	served = regexp.MustCompile(`(?m)^lsp: connection from 127\.0\.0\.1:\d+$`)
)

// assertNothingRan checks that no build ran with the attack's -toolexec.
func assertNothingRan(t *testing.T, logs *logLines, marker string) {
	t.Helper()
	if _, err := os.Stat(marker); err == nil {
		t.Error("the -toolexec program of the request body ran")
	}
	if s := logs.String(); served.MatchString(s) || strings.Contains(s, "initialize") {
		t.Errorf("the daemon served the connection; log:\n%s", s)
	}
}

// TestListenRefusesHTTPPost is the attack a web page can make with
// fetch(…, {method: "POST", mode: "no-cors"}) and a text/plain body: the
// daemon closes the connection unread and starts nothing.
func TestListenRefusesHTTPPost(t *testing.T) {
	addr, logs := startListen(t, "127.0.0.1:0")
	body, marker := attackFrames(t)
	errc := make(chan error, 1)
	go func() {
		client := &http.Client{Timeout: wait}
		resp, err := client.Post("http://"+addr+"/", "text/plain;charset=UTF-8", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("got a response: %s", resp.Status)
		}
		errc <- err
	}()
	line := logs.await(wait, refused, served)
	if !strings.Contains(line, `an HTTP request ("POST / HTTP/1.1")`) {
		t.Errorf("log line %q does not name the HTTP request", line)
	}
	select {
	case err := <-errc:
		// "malformed HTTP response" would mean the daemon answered with a frame.
		if !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("POST: %v, want the connection closed without an answer", err)
		}
	case <-time.After(wait):
		t.Fatal("the POST did not end")
	}
	assertNothingRan(t, logs, marker)
}

// TestListenRefusesWebSocket: a WebSocket upgrade followed by LSP frames is
// closed unread.
func TestListenRefusesWebSocket(t *testing.T) {
	addr, logs := startListen(t, "127.0.0.1:0")
	frames, marker := attackFrames(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nOrigin: http://example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req+frames); err != nil {
		t.Fatal(err)
	}
	line := logs.await(wait, refused, served)
	if !strings.Contains(line, `a WebSocket upgrade request ("GET / HTTP/1.1")`) {
		t.Errorf("log line %q does not name the WebSocket upgrade", line)
	}
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(conn); len(b) > 0 {
		t.Errorf("the daemon answered %q (%v), want the connection closed", b, err)
	}
	assertNothingRan(t, logs, marker)
}

// TestListenFirstBytes: LSP header names are matched case-insensitively,
// however the first bytes are split across reads; anything else is
// refused.
func TestListenFirstBytes(t *testing.T) {
	addr, logs := startListen(t, "127.0.0.1:0")
	init := frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":null,"capabilities":{}}}`)
	for _, start := range []string{
		init,
		"cOnTeNt-LeNgTh" + strings.TrimPrefix(init, "Content-Length"),
		"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + init,
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(start) { // one write per byte
			if _, err := io.WriteString(conn, start[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		resp, _, err := jsonrpc2.NewStream(conn).Read(context.Background())
		if r, ok := resp.(*jsonrpc2.Response); err != nil || !ok || r.Err() != nil {
			t.Errorf("start %.30q: got %v, %v; want the initialize result", start, resp, err)
		}
		conn.Close()
	}
	logs.mu.Lock()
	logs.lines = nil
	logs.mu.Unlock()
	for _, start := range []string{"\r\n" + init, "Content-Lengthy: 3\r\n\r\n{}\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, start); err != nil {
			t.Fatal(err)
		}
		logs.await(wait, refused, served)
		if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(conn); len(b) > 0 {
			t.Errorf("start %q answered with %q", start, b)
		}
		conn.Close()
		logs.mu.Lock()
		logs.lines = nil
		logs.mu.Unlock()
	}
}

// TestTCPRefusesProgramSettings: over TCP a client may not set settings
// that choose programs ginhotd runs; over stdio it may.
func TestTCPRefusesProgramSettings(t *testing.T) {
	dir := copyFixture(t, "app")
	params := initParams(dir)
	opts := params["initializationOptions"].(map[string]any)
	opts["build_flags"] = []string{"-toolexec=/bin/true"}
	opts["BUILD_ENV"] = []string{"GOFLAGS=-toolexec=/bin/true", "CC=/bin/true"}
	opts["env"] = []string{"LD_PRELOAD=/tmp/x.so"}

	addr, _ := startListen(t, "127.0.0.1:0")
	c := dialClient(t, addr)
	err := c.call("initialize", params, nil)
	if rpcCode(err) != jsonrpc2.InvalidParams {
		t.Fatalf("initialize over TCP with build_flags, BUILD_ENV and env = %v, want InvalidParams", err)
	}
	for _, want := range []string{"build_env, build_flags, env", "ginhot.toml", "--stdio", "unix:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The refusal leaves the connection uninitialized: without the settings
	// the same client can start.
	delete(opts, "build_flags")
	delete(opts, "BUILD_ENV")
	delete(opts, "env")
	c.mustCall("initialize", params, nil)

	params["initializationOptions"].(map[string]any)["build_flags"] = []string{"-toolexec=/bin/true"}
	newClient(t, Options{}).mustCall("initialize", params, nil)
}
