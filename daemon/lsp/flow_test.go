package lsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/ginhotd/ginhotd/daemon/session"
	"github.com/ginhotd/ginhotd/internal/testkit"
)

// TestMain moves the user cache dir (where sessions keep binaries and logs)
// to a temporary directory, keeping the Go build cache where it is.
func TestMain(m *testing.M) {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go env GOCACHE:", err)
		os.Exit(1)
	}
	cache, err := os.MkdirTemp("", "ginhotd-lsp-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

// copyFixture copies testdata/<name> to a new temporary directory and
// returns the copy's path.
func copyFixture(t testing.TB, name string) string {
	t.Helper()
	return testkit.CopyModule(t, filepath.Join("testdata", name))
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// initParams initializes with the given workspace folders, work-done
// progress support and settings that keep the test hermetic.
func initParams(dirs ...string) map[string]any {
	var folders []map[string]any
	for _, d := range dirs {
		folders = append(folders, map[string]any{"uri": string(uri.File(d)), "name": filepath.Base(d)})
	}
	return map[string]any{
		"processId":             os.Getpid(),
		"rootUri":               string(uri.File(dirs[0])),
		"workspaceFolders":      folders,
		"capabilities":          map[string]any{"window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"addr": "127.0.0.1:0", "live_reload": false, "kill_timeout": "2s"},
	}
}

// isStatus matches a ginhot/status notification for root whose status
// satisfies ok.
func isStatus(root string, ok func(session.Status) bool) func(note) bool {
	return func(n note) bool {
		if n.method != StatusMethod {
			return false
		}
		var st session.Status
		return json.Unmarshal(n.params, &st) == nil && st.Root == root && ok(st)
	}
}

func statusOf(t *testing.T, n note) session.Status {
	t.Helper()
	var st session.Status
	if err := json.Unmarshal(n.params, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// running matches a status whose only target runs a pid other than not.
func running(not int) func(session.Status) bool {
	return func(st session.Status) bool {
		return st.State == session.StateRunning && len(st.Targets) == 1 && st.Targets[0].PID != 0 && st.Targets[0].PID != not
	}
}

// isDiagnostics matches a publishDiagnostics for path whose list has the
// given emptiness.
func isDiagnostics(path string, empty bool) func(note) bool {
	return func(n note) bool {
		if n.method != "textDocument/publishDiagnostics" {
			return false
		}
		var p protocol.PublishDiagnosticsParams
		return json.Unmarshal(n.params, &p) == nil && p.URI == uri.File(path) && (len(p.Diagnostics) == 0) == empty
	}
}

// pids returns every app pid the server reported in a ginhot/status.
func (c *client) pids() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pids []int
	for _, n := range c.notes {
		var st session.Status
		if n.method == StatusMethod && json.Unmarshal(n.params, &st) == nil {
			for _, t := range st.Targets {
				if t.PID != 0 {
					pids = append(pids, t.PID)
				}
			}
		}
	}
	return pids
}

// get returns the body of a GET of url.
func get(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: wait}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// awaitGone waits until no process has the pid.
func awaitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := probe(pid)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists %v later (kill: %v)", pid, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokenGreet has a compile error on line 4 after a comment with an accent
// and an emoji, so that its byte column and UTF-16 character differ.
const brokenGreet = "// Package greet holds the greeting the tests change.\npackage greet\n\nfunc Hello() string { /* é😀 */ return undefinedThing }\n"

// wantRange is where brokenGreet's error is, in LSP terms.
func wantRange() protocol.Position {
	line := strings.Split(brokenGreet, "\n")[3]
	prefix := line[:strings.Index(line, "undefinedThing")]
	return protocol.Position{Line: 3, Character: uint32(len(utf16.Encode([]rune(prefix))))}
}

// TestFlow drives the whole editor flow on the fixture app: start, a
// compile error and its diagnostic, the fix and a new version, a start-up
// panic, explain, and shutdown with no app process left.
func TestFlow(t *testing.T) {
	dir := copyFixture(t, "app")
	greet := filepath.Join(dir, "greet", "greet.go")
	c := newClient(t, Options{})

	from := c.mark()
	c.mustCall("initialize", initParams(dir), nil)
	c.notify("initialized", map[string]any{})
	n, next := c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))
	st := statusOf(t, n)
	pid1, url := st.Targets[0].PID, st.Targets[0].URL
	if body := get(t, url); !strings.Contains(body, "hello v1") || !strings.Contains(body, fmt.Sprintf("pid=%d", pid1)) {
		t.Fatalf("GET %s = %q, want hello v1 from pid %d", url, body, pid1)
	}
	if st.LogFile == "" {
		t.Error("status has no log file")
	}
	n, _ = c.await(from, wait, "progress token request", func(n note) bool { return n.method == "window/workDoneProgress/create" })
	var created struct{ Token string }
	if err := json.Unmarshal(n.params, &created); err != nil || created.Token == "" {
		t.Fatalf("window/workDoneProgress/create params %s: %v", n.params, err)
	}
	progress := func(kind string) func(note) bool {
		return func(n note) bool {
			var p struct {
				Token string
				Value struct{ Kind, Title string }
			}
			return n.method == "$/progress" && json.Unmarshal(n.params, &p) == nil && p.Token == created.Token && p.Value.Kind == kind
		}
	}
	c.await(from, wait, "progress begin", progress("begin"))
	c.await(from, wait, "progress end", progress("end"))
	c.await(from, wait, "app output as logMessage", func(n note) bool {
		return n.method == "window/logMessage" && strings.Contains(string(n.params), "app listening on port")
	})

	// A compile error: a diagnostic at the exact place.
	writeFile(t, greet, brokenGreet)
	saved := time.Now()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
	n, next = c.await(next, wait, "diagnostics for greet.go", isDiagnostics(greet, false))
	t.Logf("didSave → publishDiagnostics: %v", time.Since(saved))
	var pd protocol.PublishDiagnosticsParams
	if err := json.Unmarshal(n.params, &pd); err != nil {
		t.Fatal(err)
	}
	d := pd.Diagnostics[0]
	if len(pd.Diagnostics) != 1 || d.Range.Start != wantRange() || d.Severity != protocol.DiagnosticSeverityError ||
		d.Source != "go build" || !strings.Contains(d.Message, "undefined: undefinedThing") {
		t.Fatalf("diagnostics = %+v, want one error at %+v from go build about undefinedThing", pd.Diagnostics, wantRange())
	}
	if body := get(t, url); !strings.Contains(body, fmt.Sprintf("pid=%d", pid1)) {
		t.Errorf("after a failed build GET = %q, want the old version (pid %d) still serving", body, pid1)
	}

	// The fix: diagnostics cleared, a new version serves the new code.
	writeFile(t, greet, "package greet\n\n// Hello is the greeting.\nfunc Hello() string { return \"hello v2\" }\n")
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
	c.await(next, wait, "empty diagnostics for greet.go", isDiagnostics(greet, true))
	n, next = c.await(next, wait, "status running a new pid", isStatus(dir, running(pid1)))
	pid2 := statusOf(t, n).Targets[0].PID
	if body := get(t, url); !strings.Contains(body, "hello v2") || !strings.Contains(body, fmt.Sprintf("pid=%d", pid2)) {
		t.Fatalf("GET %s = %q, want hello v2 from pid %d", url, body, pid2)
	}
	awaitGone(t, pid1, wait)

	// A start-up panic: a diagnostic from ginhotd at the panicking line;
	// the running version keeps serving.
	writeFile(t, greet, "package greet\n\nfunc init() {\n\tpanic(\"greet: boom\")\n}\n\n// Hello is the greeting.\nfunc Hello() string { return \"hello v3\" }\n")
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greet))}})
	n, _ = c.await(next, wait, "panic diagnostic for greet.go", isDiagnostics(greet, false))
	if err := json.Unmarshal(n.params, &pd); err != nil {
		t.Fatal(err)
	}
	if d := pd.Diagnostics[0]; d.Source != "ginhotd" || d.Range.Start.Line != 3 || !strings.Contains(d.Message, "greet: boom") {
		t.Errorf("panic diagnostic = %+v, want source ginhotd on line 3 (0-based) with the panic text", pd.Diagnostics)
	}
	if body := get(t, url); !strings.Contains(body, "hello v2") {
		t.Errorf("after a start-up panic GET = %q, want hello v2 still serving", body)
	}

	// Explain.
	var x session.Explanation
	c.mustCall("workspace/executeCommand", execute("ginhot.explain", string(uri.File(filepath.Join(dir, "unused", "unused.go")))), &x)
	if x.Decision != "none" || len(x.Targets) != 0 || x.Reason == "" {
		t.Errorf("explain unused.go = %+v, want decision none, no targets, a reason", x)
	}
	c.mustCall("workspace/executeCommand", execute("ginhot.explain", string(uri.File(greet))), &x)
	if x.Decision != "rebuild" || len(x.Targets) != 1 {
		t.Errorf("explain greet.go = %+v, want a rebuild of the one target", x)
	}
	if err := c.call("workspace/executeCommand", execute("ginhot.restart", "./cmd/nothere"), nil); rpcCode(err) != jsonrpc2.InvalidParams {
		t.Errorf("restart of an unknown target: got %v, want InvalidParams", err)
	}
	var st2 session.Status
	c.mustCall("workspace/executeCommand", execute("ginhot.status"), &st2)
	if st2.Root != dir || len(st2.Targets) != 1 || st2.Targets[0].Name != "." {
		t.Errorf("ginhot.status = %+v, want root %s and one target named .", st2, dir)
	}

	// Shutdown stops every app before answering.
	c.mustCall("shutdown", nil, nil)
	for _, pid := range c.pids() {
		awaitGone(t, pid, time.Second)
	}
	c.notify("exit", nil)
	if err := c.serveResult(); err != nil {
		t.Errorf("Serve = %v, want nil after shutdown and exit", err)
	}
}

// TestEndOfInputStopsApps closes the connection without shutdown: Serve
// stops the app and returns ErrExitWithoutShutdown.
func TestEndOfInputStopsApps(t *testing.T) {
	dir := copyFixture(t, "app")
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(dir), nil)
	c.notify("initialized", map[string]any{})
	c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))

	_ = c.conn.Close()
	start := time.Now()
	if err := c.serveResult(); !errors.Is(err, ErrExitWithoutShutdown) {
		t.Errorf("Serve = %v, want ErrExitWithoutShutdown", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Serve took %v to return after the end of input, want under 2s", d)
	}
	for _, pid := range c.pids() {
		awaitGone(t, pid, time.Second)
	}
}

// TestWorkspaceFolders runs two folders, routes saves to the right one,
// and stops a folder's app when the folder is removed. A folder without a
// module is left alone.
func TestWorkspaceFolders(t *testing.T) {
	a, b := copyFixture(t, "app"), filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(b, os.DirFS(a)); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(a, plain), nil)
	c.notify("initialized", map[string]any{})
	n, _ := c.await(from, wait, "status of a running", isStatus(a, running(0)))
	pidA := statusOf(t, n).Targets[0].PID

	from = c.mark()
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added":   []map[string]any{{"uri": string(uri.File(b)), "name": "b"}},
		"removed": []map[string]any{},
	}})
	n, _ = c.await(from, wait, "status of b running", isStatus(b, running(0)))
	pidB := statusOf(t, n).Targets[0].PID

	// A save in b rebuilds b only.
	greetB := filepath.Join(b, "greet", "greet.go")
	writeFile(t, greetB, brokenGreet)
	from = c.mark()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": string(uri.File(greetB))}})
	c.await(from, wait, "diagnostics for b's greet.go", isDiagnostics(greetB, false))
	var st session.Status
	c.mustCall("workspace/executeCommand", execute("ginhot.status", string(uri.File(a))), &st)
	if st.Root != a || st.State != session.StateRunning || st.Targets[0].PID != pidA {
		t.Errorf("status of a = %+v, want a still running pid %d", st, pidA)
	}

	// Removing b stops its app and withdraws its diagnostics.
	from = c.mark()
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added":   []map[string]any{},
		"removed": []map[string]any{{"uri": string(uri.File(b)), "name": "b"}},
	}})
	c.await(from, wait, "b's diagnostics withdrawn", isDiagnostics(greetB, true))
	awaitGone(t, pidB, wait)
	if err := probe(pidA); err != nil {
		t.Errorf("a's app (pid %d) is gone after b was removed: %v", pidA, err)
	}

	c.mustCall("shutdown", nil, nil)
	for _, pid := range c.pids() {
		awaitGone(t, pid, time.Second)
	}
}

// TestOutputAndOutsideErrors runs an app that prints a burst of coloured
// lines and whose Gin stand-in lives outside the workspace folder: its
// output reaches window/logMessage without escape codes and capped in rate,
// and a build error in the outside module comes as window/showMessage, not
// as a diagnostic.
func TestOutputAndOutsideErrors(t *testing.T) {
	ws := copyFixture(t, "outside")
	dir := filepath.Join(ws, "app")
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(dir), nil)
	c.notify("initialized", map[string]any{})
	c.await(from, wait, "status running with a pid", isStatus(dir, running(0)))
	c.await(from, wait, "notice of dropped lines", func(n note) bool {
		return n.method == "window/logMessage" && strings.Contains(string(n.params), "dropped") && strings.Contains(string(n.params), "app.log")
	})
	lines := 0
	for _, n := range c.all(from) {
		var p protocol.LogMessageParams
		if n.method != "window/logMessage" || json.Unmarshal(n.params, &p) != nil {
			continue
		}
		if strings.ContainsRune(p.Message, 0x1b) {
			t.Fatalf("logMessage has escape codes: %q", p.Message)
		}
		if p.Type == protocol.MessageTypeLog {
			lines += strings.Count(p.Message, "chatty line")
		}
	}
	// The cap is per second and a slow machine spreads the burst over more
	// than one window, so only "some, not all" is certain.
	if lines == 0 || lines >= 3000 {
		t.Errorf("%d app lines forwarded of a burst of 3000, want some but not all (cap %d/s)", lines, logLinesPerSecond)
	}

	gin := filepath.Join(ws, "fakegin", "gin.go")
	writeFile(t, gin, "package gin\n\nfunc Mode() string { return 42 }\n")
	from = c.mark()
	c.mustCall("workspace/executeCommand", execute("ginhot.rebuild"), nil)
	n, _ := c.await(from, wait, "showMessage about the error outside", func(n note) bool {
		return n.method == "window/showMessage" && strings.Contains(string(n.params), "outside")
	})
	var p protocol.ShowMessageParams
	if err := json.Unmarshal(n.params, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != protocol.MessageTypeError || !strings.Contains(p.Message, gin+":3:") {
		t.Errorf("showMessage = %+v, want an error naming %s:3", p, gin)
	}
	for _, n := range c.all(from) {
		if n.method == "textDocument/publishDiagnostics" && strings.Contains(string(n.params), "fakegin") {
			t.Errorf("diagnostic published for a file outside the workspace folder: %s", n.params)
		}
	}
}

// TestConfigError: a bad initializationOptions key is reported once with
// window/showMessage, and the folder is left alone.
func TestConfigError(t *testing.T) {
	dir := copyFixture(t, "app")
	c := newClient(t, Options{})
	p := initParams(dir)
	p["initializationOptions"] = map[string]any{"addr": "127.0.0.1:0", "no_such_key": true}
	from := c.mark()
	c.mustCall("initialize", p, nil)
	c.notify("initialized", map[string]any{})
	n, _ := c.await(from, wait, "showMessage about the unknown key", func(n note) bool { return n.method == "window/showMessage" })
	var sm protocol.ShowMessageParams
	if err := json.Unmarshal(n.params, &sm); err != nil {
		t.Fatal(err)
	}
	if sm.Type != protocol.MessageTypeError || !strings.Contains(sm.Message, `unknown key "no_such_key"`) || !strings.Contains(sm.Message, dir) {
		t.Errorf("showMessage = %+v, want an error naming the key and the folder", sm)
	}
	if err := c.call("workspace/executeCommand", execute("ginhot.restart"), nil); rpcCode(err) != codeRequestFailed {
		t.Errorf("restart with the folder left alone: got %v, want RequestFailed", err)
	}
}

// TestOwnPortShowsMessage: an app that listens on a port of its own
// instead of $PORT is served there, and a window/showMessage says so and
// how to get overlapping reloads.
func TestOwnPortShowsMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := copyFixture(t, "app")
	main := filepath.Join(dir, "main.go")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, main, strings.Replace(string(b), `"127.0.0.1:"+os.Getenv("PORT")`, `"`+addr+`"`, 1))
	c := newClient(t, Options{})
	from := c.mark()
	c.mustCall("initialize", initParams(dir), nil)
	c.notify("initialized", map[string]any{})
	n, _ := c.await(from, wait, "showMessage about the port", func(n note) bool { return n.method == "window/showMessage" })
	var sm protocol.ShowMessageParams
	if err := json.Unmarshal(n.params, &sm); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if sm.Type != protocol.MessageTypeWarning || !strings.Contains(sm.Message, "r.Run()") || !strings.Contains(sm.Message, "listens on :"+port+" itself") {
		t.Errorf("showMessage = %+v, want a warning that says what happened and the fix", sm)
	}
}
