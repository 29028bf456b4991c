//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the ginhotd binary built once by TestMain; gocache is the
// user's Go build cache, kept when tests move XDG_CACHE_HOME to a temp dir.
var binary, gocache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ginhotd-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ginhotd")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ginhotd: %v\n%s", err, out)
		os.Exit(1)
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go env GOCACHE: %v\n", err)
		os.Exit(1)
	}
	gocache = strings.TrimSpace(string(out))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// event is the part of a JSON log line the tests look at.
type event struct {
	Event       string `json:"event"`
	Target      string `json:"target"`
	PID         int    `json:"pid"`
	MS          int64  `json:"ms"`
	Reason      string `json:"reason"`
	Output      string `json:"output"`
	Generation  int    `json:"generation"`
	Debug       string `json:"debug"`
	Message     string `json:"message"`
	URL         string `json:"url"`
	Diagnostics []struct {
		File    string
		Line    int
		Col     int
		Message string
	} `json:"diagnostics"`
	Status *struct {
		State   string `json:"state"`
		Watch   string `json:"watch"`
		Targets []struct {
			Name  string `json:"name"`
			State string `json:"state"`
			URL   string `json:"url"`
			PID   int    `json:"pid"`
			Debug string `json:"debug"`
			Error string `json:"error"`
		} `json:"targets"`
	} `json:"status"`
}

// daemon is a running `ginhotd run` under test.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	dir    string
	url    string
	mu     sync.Mutex
	events []event
	more   chan struct{}
	stderr lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixtureWithConfig copies the app fixture and writes toml as its
// ginhot.toml.
func fixtureWithConfig(t *testing.T, toml string) string {
	t.Helper()
	dir := copyFixture(t, "app")
	if err := os.WriteFile(filepath.Join(dir, "ginhot.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDaemon runs ginhotd on a copy of the app fixture and waits until the
// first version serves.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	return startDaemonIn(t, copyFixture(t, "app"), args...)
}

// startDaemonIn runs ginhotd on dir and waits until the first version
// serves.
func startDaemonIn(t *testing.T, dir string, args ...string) *daemon {
	t.Helper()
	d := launch(t, dir, args...)
	ready := d.await("first version ready", 120*time.Second, func(e event) bool { return e.Event == "ready" })
	st := d.await("status with URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != ""
	})
	d.url = st.Status.Targets[0].URL
	if ready.PID == 0 {
		t.Fatal("ready event without PID")
	}
	return d
}

// launch starts ginhotd on dir, on any free port, and collects its events.
func launch(t *testing.T, dir string, args ...string) *daemon {
	t.Helper()
	return launchAt(t, dir, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
}

// launchAt is launch without an address of its own: args may give one.
func launchAt(t *testing.T, dir string, args ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: dir, more: make(chan struct{}, 1)}
	args = append([]string{"run", "--log-format", "json", "--kill-timeout", "2s"}, args...)
	d.cmd = exec.Command(binary, append(args, d.dir)...)
	d.cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GOCACHE="+gocache)
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stderr = &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
	})
	go d.read(stdout)
	return d
}

func (d *daemon) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		d.mu.Lock()
		d.events = append(d.events, e)
		d.mu.Unlock()
		select {
		case d.more <- struct{}{}:
		default:
		}
	}
}

// mark returns the number of events seen so far, for awaitAfter.
func (d *daemon) mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.events)
}

// await waits for an event matching ok, among all events.
func (d *daemon) await(what string, timeout time.Duration, ok func(event) bool) event {
	return d.awaitAfter(0, what, timeout, ok)
}

// awaitAfter waits for an event matching ok among the events after mark.
func (d *daemon) awaitAfter(mark int, what string, timeout time.Duration, ok func(event) bool) event {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		d.mu.Lock()
		for _, e := range d.events[mark:] {
			if ok(e) {
				d.mu.Unlock()
				return e
			}
		}
		d.mu.Unlock()
		select {
		case <-d.more:
		case <-deadline:
			d.t.Fatalf("timed out after %s waiting for %s; events: %+v", timeout, what, d.since(mark))
		}
	}
}

// since returns the events after mark.
func (d *daemon) since(mark int) []event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]event(nil), d.events[mark:]...)
}

func (d *daemon) write(rel, content string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, rel), []byte(content), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) get(path string) string {
	d.t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(d.url + path)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		d.t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	return string(b)
}

func msgSource(text string) string {
	return "// Package msg holds the text the app serves.\npackage msg\n\n// Text is served on /.\nconst Text = \"" + text + "\"\n"
}

func TestRunReachableEditIsServed(t *testing.T) {
	d := startDaemon(t)
	pid := d.get("/pid")
	if got := d.get("/"); got != "v1" {
		t.Fatalf("GET / = %q, want v1", got)
	}
	m := d.mark()
	d.write("msg/msg.go", msgSource("v2"))
	d.awaitAfter(m, "ready after edit", 60*time.Second, func(e event) bool { return e.Event == "ready" })
	if got := d.get("/"); got != "v2" {
		t.Fatalf("after the edit GET / = %q, want v2", got)
	}
	if d.get("/pid") == pid {
		t.Fatal("the PID did not change after a rebuild")
	}
}

func TestRunUnreachableAndTestEditsBuildNothing(t *testing.T) {
	d := startDaemon(t)
	pid := d.get("/pid")
	for _, f := range []string{"unused/unused.go", "msg/msg_test.go", "README.md"} {
		m := d.mark()
		d.write(f, "package x\n\n// edited\n")
		if f == "README.md" {
			d.write(f, "# edited\n")
		}
		d.awaitAfter(m, "skip for "+f, 10*time.Second, func(e event) bool { return e.Event == "skip" })
		for _, e := range d.since(m) {
			if e.Event == "build_start" || e.Event == "start" {
				t.Fatalf("editing %s caused %s", f, e.Event)
			}
		}
	}
	if got := d.get("/pid"); got != pid {
		t.Fatalf("PID changed from %s to %s", pid, got)
	}
}

func TestRunTemplateEditRestartsWithoutBuild(t *testing.T) {
	d := startDaemon(t)
	pid := d.get("/pid")
	m := d.mark()
	d.write("templates/page.tmpl", "page two\n")
	d.awaitAfter(m, "ready after template edit", 30*time.Second, func(e event) bool { return e.Event == "ready" })
	for _, e := range d.since(m) {
		if e.Event == "build_start" {
			t.Fatal("a template edit started a build")
		}
	}
	if got := d.get("/page"); got != "page two\n" {
		t.Fatalf("GET /page = %q", got)
	}
	if d.get("/pid") == pid {
		t.Fatal("the PID did not change after a template restart")
	}
}

func TestRunCompileErrorKeepsOldVersion(t *testing.T) {
	brokenEditKeepsOldVersion(t, "package msg\n\nconst Text = \"v2\"\n\nvar x int = \"oops\"\n", "build_fail", 5)
}

// brokenEditKeepsOldVersion writes src as msg/msg.go and asserts that the
// daemon reports the event kind with a diagnostic at msg/msg.go:line while
// the old version (same PID, old text) keeps answering.
func brokenEditKeepsOldVersion(t *testing.T, src, kind string, line int) {
	t.Helper()
	d := startDaemon(t)
	pid := d.get("/pid")
	m := d.mark()
	d.write("msg/msg.go", src)
	e := d.awaitAfter(m, kind, 60*time.Second, func(e event) bool { return e.Event == kind })
	if len(e.Diagnostics) == 0 {
		t.Fatalf("%s without diagnostics: %+v", kind, e)
	}
	dg := e.Diagnostics[0]
	if dg.File != filepath.Join(d.dir, "msg", "msg.go") || dg.Line != line {
		t.Fatalf("diagnostic at %s:%d, want msg/msg.go:%d (%s)", dg.File, dg.Line, line, dg.Message)
	}
	if got := d.get("/"); got != "v1" {
		t.Fatalf("old version answers %q, want v1", got)
	}
	if got := d.get("/pid"); got != pid {
		t.Fatalf("PID changed from %s to %s after a broken edit", pid, got)
	}
}

func TestRunLeavesNoAppBehind(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDaemon(t)
			var pid int
			fmt.Sscan(d.get("/pid"), &pid)
			if err := d.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(pid, 0) == nil {
				if time.Now().After(deadline) {
					t.Fatalf("app pid %d still alive 10s after the daemon got %s", pid, sig)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestRunBadInput(t *testing.T) {
	notModule := t.TempDir()
	broken := fixtureWithConfig(t, "addr = \"127.0.0.1:0\"\nadr = 1\n")
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"not a module", []string{"run", notModule}, nil, "go.mod"},
		{"broken config", []string{"run", broken}, nil, `ginhot.toml:2: unknown key "adr"`},
		{"go missing", []string{"run", "--addr", "127.0.0.1:0", copyFixture(t, "app")}, []string{"PATH=" + t.TempDir()}, "go command not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GOCACHE="+gocache), tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exit 0, want an error; output:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("output does not mention %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestGraphExplain(t *testing.T) {
	dir := copyFixture(t, "app")
	tests := []struct{ path, want string }{
		{"msg/msg.go", "rebuild .: . → ./msg (msg/msg.go changed)"},
		{"unused/unused.go", "none"},
		{"msg/msg_test.go", "none"},
		{"templates/page.tmpl", "restart"},
	}
	for _, tc := range tests {
		cmd := exec.Command(binary, "graph", "--explain", filepath.Join(dir, tc.path), dir)
		cmd.Env = append(os.Environ(), "GOCACHE="+gocache)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("graph --explain %s: %v\n%s", tc.path, err, out)
		}
		if !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("graph --explain %s = %q, want prefix %q", tc.path, out, tc.want)
		}
	}
}

func TestGraphTargetChoice(t *testing.T) {
	tests := []struct {
		fixture  string
		ok       bool
		want     []string // lines the user sees, in order
		wantNone string   // text that must not appear
	}{
		{"plainhttp", true, []string{
			`ginhotd: no main package imports Gin: running ., the only one that imports net/http; to pin it, pass --target . or put targets = ["."] in ginhot.toml`,
			"targets:",
			"  .\texample.com/plainhttp",
		}, ""},
		{"twomains", false, []string{
			"and 2 main packages import net/http; pick the one to run:",
			`  ./cmd/admin: --target ./cmd/admin   or   targets = ["./cmd/admin"] in ginhot.toml`,
			`  ./cmd/api: --target ./cmd/api   or   targets = ["./cmd/api"] in ginhot.toml`,
			`  (to run all of them: targets = ["./cmd/admin", "./cmd/api"] in ginhot.toml)`,
		}, "targets:"},
		{"app", true, []string{"targets:", "  .\texample.com/app"}, "net/http"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			dir := copyFixture(t, tc.fixture)
			cmd := exec.Command(binary, "graph", dir)
			cmd.Env = append(os.Environ(), "GOCACHE="+gocache)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Fatalf("graph: err = %v, want ok = %v\n%s", err, tc.ok, out)
			}
			rest := string(out)
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if tc.wantNone != "" && strings.Contains(string(out), tc.wantNone) {
				t.Errorf("output mentions %q:\n%s", tc.wantNone, out)
			}
		})
	}
}
