package lsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// syncBuffer is a bytes.Buffer safe for the process's stderr copier and
// the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// stdioConn is the client's side of `ginhotd --stdio`: it reads the
// process's stdout and writes its stdin; Close closes stdin.
type stdioConn struct {
	io.Reader
	io.WriteCloser
}

// daemon is a `ginhotd --stdio` process.
type daemon struct {
	cmd    *exec.Cmd
	conn   stdioConn
	stderr *syncBuffer
	done   chan error // the exit status, once
}

// buildBinary builds cmd/ginhotd into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ginhotd")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/ginhotd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ginhotd: %v\n%s", err, out)
	}
	return bin
}

// startDaemon starts `bin --stdio`. Cleanup kills it if it is still
// running and waits for it.
func startDaemon(t *testing.T, bin string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(bin, "--stdio"), stderr: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd.Stderr = d.stderr
	in, err := d.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.conn = stdioConn{out, in}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		err := <-d.done
		d.done <- err
		if t.Failed() {
			t.Logf("ginhotd stderr:\n%s", d.stderr.String())
		}
	})
	return d
}

// exitCode waits for the process to end and returns its exit code.
func exitCode(t *testing.T, c *client) int {
	t.Helper()
	err := c.serveResult()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("waiting for ginhotd: %v", err)
	return -1
}

// TestBinary runs the built `ginhotd --stdio` as an editor would: over its
// stdin and stdout, which must carry nothing but frames (the client's
// stream fails on anything else).
func TestBinary(t *testing.T) {
	bin := buildBinary(t)

	t.Run("flow", func(t *testing.T) {
		dir := copyFixture(t, "app")
		greet := filepath.Join(dir, "greet", "greet.go")
		d := startDaemon(t, bin)
		c := connect(t, d.conn, d.done)

		from := c.mark()
		c.mustCall("initialize", initParams(dir), nil)
		c.notify("initialized", map[string]any{})
		n, next := c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))
		st := statusOf(t, n)
		pid1, url := st.Targets[0].PID, st.Targets[0].URL
		if body := get(t, url); !strings.Contains(body, "hello v1") {
			t.Fatalf("GET %s = %q, want hello v1", url, body)
		}

		writeFile(t, greet, brokenGreet)
		c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
		n, next = c.await(next, wait, "diagnostics for greet.go", isDiagnostics(greet, false))
		var pd struct {
			Diagnostics []protocol.Diagnostic `json:"diagnostics"`
		}
		if err := json.Unmarshal(n.params, &pd); err != nil {
			t.Fatal(err)
		}
		if got := pd.Diagnostics[0]; got.Range.Start != wantRange() || got.Source != "go build" {
			t.Errorf("diagnostic = %+v, want one at %+v from go build", got, wantRange())
		}

		writeFile(t, greet, "package greet\n\n// Hello is the greeting.\nfunc Hello() string { return \"hello v2\" }\n")
		c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
		c.await(next, wait, "empty diagnostics for greet.go", isDiagnostics(greet, true))
		n, _ = c.await(next, wait, "status running a new pid", isStatus(dir, running(pid1)))
		pid2 := statusOf(t, n).Targets[0].PID
		if body := get(t, url); !strings.Contains(body, "hello v2") || !strings.Contains(body, fmt.Sprintf("pid=%d", pid2)) {
			t.Fatalf("GET %s = %q, want hello v2 from pid %d", url, body, pid2)
		}

		var x session.Explanation
		c.mustCall("workspace/executeCommand", execute("ginhot.explain", string(uri.File(filepath.Join(dir, "unused", "unused.go")))), &x)
		if x.Decision != "none" {
			t.Errorf("explain unused.go = %+v, want decision none", x)
		}

		c.mustCall("shutdown", nil, nil)
		for _, pid := range c.pids() {
			awaitGone(t, pid, time.Second)
		}
		c.notify("exit", nil)
		if code := exitCode(t, c); code != 0 {
			t.Errorf("exit code after shutdown and exit = %d, want 0", code)
		}
	})

	// Closing stdin without shutdown stops the app, exits 1 within 2s.
	t.Run("end of input", func(t *testing.T) {
		dir := copyFixture(t, "app")
		d := startDaemon(t, bin)
		c := connect(t, d.conn, d.done)
		from := c.mark()
		c.mustCall("initialize", initParams(dir), nil)
		c.notify("initialized", map[string]any{})
		n, _ := c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))
		pid := statusOf(t, n).Targets[0].PID

		_ = d.conn.WriteCloser.Close()
		start := time.Now()
		if code := exitCode(t, c); code != 1 {
			t.Errorf("exit code after end of input without shutdown = %d, want 1", code)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("ginhotd took %v to exit after stdin closed, want under 2s", took)
		}
		awaitGone(t, pid, time.Second)
		for _, pid := range c.pids() {
			awaitGone(t, pid, time.Second)
		}
	})

	// SIGTERM stops the app and exits.
	t.Run("SIGTERM", func(t *testing.T) {
		dir := copyFixture(t, "app")
		d := startDaemon(t, bin)
		c := connect(t, d.conn, d.done)
		from := c.mark()
		c.mustCall("initialize", initParams(dir), nil)
		c.notify("initialized", map[string]any{})
		n, _ := c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))
		pid := statusOf(t, n).Targets[0].PID

		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if code := exitCode(t, c); code != 1 {
			t.Errorf("exit code after SIGTERM without shutdown = %d, want 1", code)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("ginhotd took %v to exit after SIGTERM, want under 2s", took)
		}
		awaitGone(t, pid, time.Second)
	})

	// Malformed frames are answered or skipped; the next request is served.
	t.Run("malformed input", func(t *testing.T) {
		d := startDaemon(t, bin)
		r := jsonrpc2.NewStream(d.conn)
		input := frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":null,"capabilities":{}}}`) +
			"Content-Length: nope\r\n\r\n" + `{"jsonrpc":"2.0","id":2,"method":"x"}` + "\r\ngarbage\r\n" +
			frame(`{"jsonrpc":"2.0","id":3,"method":`) +
			ping(4)
		if _, err := io.WriteString(d.conn, input); err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			id   int32
			code jsonrpc2.Code
		}{{1, 0}, {2, jsonrpc2.ParseError}, {3, jsonrpc2.ParseError}, {4, jsonrpc2.MethodNotFound}} {
			m, _, err := r.Read(t.Context())
			if err != nil {
				t.Fatalf("reading ginhotd's stdout: %v\nstderr:\n%s", err, d.stderr.String())
			}
			resp, ok := m.(*jsonrpc2.Response)
			if !ok || resp.ID() != jsonrpc2.NewNumberID(want.id) || rpcCode(resp.Err()) != want.code {
				t.Fatalf("got %+v, want a response to %d with code %d", m, want.id, want.code)
			}
		}
		// stderr is copied by a goroutine of os/exec: it may lag.
		for deadline := time.Now().Add(wait); !strings.Contains(d.stderr.String(), `invalid Content-Length "nope"`); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("stderr does not log the bad frame:\n%s", d.stderr.String())
			}
		}
	})
}
