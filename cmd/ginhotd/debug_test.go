//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/run"
	"github.com/ginhotd/ginhotd/internal/dap"
)

// needDlv skips the test when Delve is not installed; under CI (the CI
// variable set) a missing Delve fails it.
func needDlv(t *testing.T) {
	t.Helper()
	if _, err := run.FindDlv(t.Context()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// handlerLine returns the app fixture's main.go in dir and the line of the
// "/" handler's body, where the tests set their breakpoint.
func handlerLine(t *testing.T, dir string) (string, int) {
	t.Helper()
	mainGo := filepath.Join(dir, "main.go")
	b, err := os.ReadFile(mainGo)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "fmt.Fprint(w, msg.Text)" {
			return mainGo, i + 1
		}
	}
	t.Fatal("no handler line in main.go")
	return "", 0
}

// debugAttach attaches to Delve at addr as an editor does, with one
// breakpoint at file:line.
func debugAttach(t *testing.T, ctx context.Context, addr, file string, line int) *dap.Client {
	t.Helper()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("debug address %q, want 127.0.0.1:PORT", addr)
	}
	c, err := dap.AttachWithBreakpoint(ctx, addr, file, line)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// request GETs url in the background; the body (or the error) arrives on
// the channel.
func request(url string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		c := &http.Client{Timeout: 90 * time.Second}
		resp, err := c.Get(url)
		if err != nil {
			ch <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- string(b)
	}()
	return ch
}

// stopAt sends a request to / and checks that the client stops at
// file:line with the response held. It returns the stopped thread and
// the pending response.
func stopAt(t *testing.T, ctx context.Context, c *dap.Client, url, file string, line int) (int, <-chan string) {
	t.Helper()
	body := request(url + "/")
	st, err := c.WaitStopped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.TopFrame(ctx, st.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reason != "breakpoint" || f.Source.Path != file || f.Line != line {
		t.Fatalf("stopped (%s) at %s:%d, want the breakpoint at %s:%d", st.Reason, f.Source.Path, f.Line, file, line)
	}
	select {
	case b := <-body:
		t.Fatalf("response %q while the app is halted at a breakpoint", b)
	default:
	}
	return st.ThreadID, body
}

// continueTo continues thread and checks the held response.
func continueTo(t *testing.T, ctx context.Context, c *dap.Client, thread int, body <-chan string, want string) {
	t.Helper()
	if err := c.Continue(ctx, thread); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-body:
		if b != want {
			t.Fatalf("response after continue %q, want %q", b, want)
		}
	case <-ctx.Done():
		t.Fatal("no response after continue")
	}
}

// parentOf returns the parent pid of pid (Delve, for an app under it).
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0] != "Z" && f[0] != "X"
}

// TestDebugAcrossReloads is a user debugging through ginhotd run --debug:
// attach to the announced address, stop at a breakpoint in a handler,
// continue; save while halted in the old version (new requests get the
// new version, the old one stays until the client continues); attach to
// the new version's address and stop at the same line there; then end
// the daemon with a client still attached and halted: nothing is left.
func TestDebugAcrossReloads(t *testing.T) {
	needDlv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	d := startDaemon(t, "--debug")
	file, line := handlerLine(t, d.dir)
	ready1 := d.await("ready", time.Second, func(e event) bool { return e.Event == "ready" })
	if st := d.await("status with the debug address", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) == 1 && e.Status.Targets[0].Debug != ""
	}); st.Status.Targets[0].Debug != ready1.Debug || st.Status.Targets[0].PID != ready1.PID {
		t.Fatalf("status target %+v, want debug %s and pid %d as in the ready event", st.Status.Targets[0], ready1.Debug, ready1.PID)
	}
	if got := d.get("/pid"); got != strconv.Itoa(ready1.PID) {
		t.Fatalf("the app says pid %s, the ready event %d: want the app's own pid", got, ready1.PID)
	}
	dlv1 := parentOf(t, ready1.PID)

	// Version 1: breakpoint, request, stopped, continue, response.
	c1 := debugAttach(t, ctx, ready1.Debug, file, line)
	thread, body := stopAt(t, ctx, c1, d.url, file, line)
	continueTo(t, ctx, c1, thread, body, "v1")

	// Halted in version 1, save: version 2 serves new requests, and
	// version 1 stays until the client continues.
	thread, held := stopAt(t, ctx, c1, d.url, file, line)
	m := d.mark()
	d.write("msg/msg.go", msgSource("v2"))
	ready2 := d.awaitAfter(m, "ready of version 2", 90*time.Second, func(e event) bool { return e.Event == "ready" })
	if ready2.Debug == "" || ready2.Debug == ready1.Debug || ready2.PID == ready1.PID {
		t.Fatalf("ready of version 2 = %+v, want a debug address and pid of its own (version 1: %s, %d)", ready2, ready1.Debug, ready1.PID)
	}
	if got := d.get("/"); got != "v2" {
		t.Fatalf("a new request while version 1 is halted got %q, want v2", got)
	}
	d.awaitAfter(m, "a warning that version 1 is kept", 5*time.Second, func(e event) bool {
		return e.Event == "warn" && strings.Contains(e.Message, "halted in the debugger")
	})
	if !alive(ready1.PID) {
		t.Fatal("version 1 was stopped while halted at a breakpoint")
	}
	for _, e := range d.since(m) {
		if e.Event == "stop" && e.PID == ready1.PID {
			t.Fatal("version 1 was retired while halted at a breakpoint")
		}
	}
	continueTo(t, ctx, c1, thread, held, "v1")
	d.awaitAfter(m, "version 1 stopped once it runs again", 30*time.Second, func(e event) bool { return e.Event == "stop" && e.PID == ready1.PID })
	eventually(t, 10*time.Second, "Delve and app of version 1 gone", func() bool { return !alive(ready1.PID) && !alive(dlv1) })

	// Version 2: the same breakpoint, hit in the new version.
	dlv2 := parentOf(t, ready2.PID)
	c2 := debugAttach(t, ctx, ready2.Debug, file, line)
	thread, body = stopAt(t, ctx, c2, d.url, file, line)
	continueTo(t, ctx, c2, thread, body, "v2")

	// Shut down with a client attached and halted: nothing is left behind.
	_, _ = stopAt(t, ctx, c2, d.url, file, line)
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "Delve and app of version 2 gone after shutdown", func() bool { return !alive(ready2.PID) && !alive(dlv2) })
}

// TestDebugWaitHoldsUntilAttached: with --debug-wait the version starts
// halted before main and is not timed out while it waits; the status says
// where to attach; once a client attaches the app runs, becomes ready and
// stops at the breakpoint.
func TestDebugWaitHoldsUntilAttached(t *testing.T) {
	needDlv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	d := launch(t, copyFixture(t, "app"), "--debug", "--debug-wait", "--start-timeout", "1s")
	file, line := handlerLine(t, d.dir)
	st := d.await("a status that waits for a debugger", 120*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) == 1 && strings.HasPrefix(e.Status.Targets[0].Error, "waiting for a debugger")
	})
	addr := st.Status.Targets[0].Debug
	if want := "waiting for a debugger to attach to " + addr; st.Status.Targets[0].Error != want || addr == "" {
		t.Fatalf("status target %+v, want %q", st.Status.Targets[0], want)
	}
	waited := time.Now()
	eventually(t, 10*time.Second, "three start timeouts to pass", func() bool {
		for _, e := range d.since(0) {
			if e.Event == "crash" || e.Event == "ready" {
				t.Fatalf("%s while the app waits for a debugger: %+v", e.Event, e)
			}
		}
		return time.Since(waited) > 3*time.Second
	})
	m := d.mark()
	c := debugAttach(t, ctx, addr, file, line)
	ready := d.awaitAfter(m, "ready once a client attached", 30*time.Second, func(e event) bool { return e.Event == "ready" })
	if ready.Debug != addr {
		t.Fatalf("ready debug = %q, want %q", ready.Debug, addr)
	}
	d.url = d.await("status with URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != ""
	}).Status.Targets[0].URL
	thread, body := stopAt(t, ctx, c, d.url, file, line)
	continueTo(t, ctx, c, thread, body, "v1")
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
