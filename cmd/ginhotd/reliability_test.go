//go:build unix

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ginhotd/ginhotd/daemon/config"
)

// cacheHome returns the XDG_CACHE_HOME the daemon under test runs with.
func (d *daemon) cacheHome() string {
	for _, kv := range d.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			return v
		}
	}
	d.t.Fatal("the daemon runs without XDG_CACHE_HOME")
	return ""
}

// exit waits for the daemon to end and returns how it ended.
func (d *daemon) exit(timeout time.Duration) *os.ProcessState {
	d.t.Helper()
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		d.t.Fatalf("the daemon did not exit within %s", timeout)
	}
	return d.cmd.ProcessState
}

// TestRunSIGHUPStopsLikeSIGTERM closes the "terminal": SIGHUP must stop the
// app gracefully and remove the run directory, and the daemon must exit 0
// rather than die by the signal.
func TestRunSIGHUPStopsLikeSIGTERM(t *testing.T) {
	d := startDaemon(t)
	var pid int
	fmt.Sscan(d.get("/pid"), &pid)
	runDirs := filepath.Join(d.cacheHome(), "ginhotd", "*", "run-*")
	if m, _ := filepath.Glob(runDirs); len(m) != 1 {
		t.Fatalf("run dirs before SIGHUP: %v, want one", m)
	}
	m := d.mark()
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	st := d.exit(15 * time.Second)
	if ws := st.Sys().(syscall.WaitStatus); ws.Signaled() || st.ExitCode() != 0 {
		t.Fatalf("after SIGHUP the daemon ended with %v, want exit 0", st)
	}
	stopped := false
	for _, e := range d.since(m) {
		stopped = stopped || e.Event == "stop" && e.PID == pid
	}
	if !stopped {
		t.Fatalf("no stop event for app pid %d after SIGHUP; events: %+v", pid, d.since(m))
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("app pid %d still there after the daemon exited (kill 0: %v)", pid, err)
	}
	if left, _ := filepath.Glob(runDirs); len(left) != 0 {
		t.Fatalf("run dirs left after SIGHUP: %v", left)
	}
}

// TestRunEventsRefuseRebinding: through the real daemon, the events stream
// answers a loopback Host and refuses a rebound name, whose app routes
// still reach the app.
func TestRunEventsRefuseRebinding(t *testing.T) {
	d := startDaemon(t)
	c := http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"evil.example", "/__ginhot/events", http.StatusForbidden},
		{"localhost", "/__ginhot/events", http.StatusOK},
		{"evil.example", "/", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, d.url+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s (Host %s): %v", tc.path, tc.host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with Host %s: %s, want %d", tc.path, tc.host, resp.Status, tc.want)
		}
	}
}

// TestRunSymlinkedRoot runs ginhotd on a symbolic link to the module: edits
// made through the link and through the real path are both served, a
// diagnostic names the file through the link the user gave, and graph
// --explain answers for either path.
func TestRunSymlinkedRoot(t *testing.T) {
	real := copyFixture(t, "app")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	d := startDaemonIn(t, link)
	for i, dir := range []string{link, real} {
		text := fmt.Sprintf("v%d", i+2)
		m := d.mark()
		if err := os.WriteFile(filepath.Join(dir, "msg", "msg.go"), []byte(msgSource(text)), 0o644); err != nil {
			t.Fatal(err)
		}
		d.awaitAfter(m, "ready after an edit through "+dir, 60*time.Second, func(e event) bool { return e.Event == "ready" })
		if got := d.get("/"); got != text {
			t.Fatalf("after an edit through %s GET / = %q, want %q", dir, got, text)
		}
	}
	m := d.mark()
	d.write("msg/msg.go", "package msg\n\nconst Text = 1 + \"x\"\n")
	e := d.awaitAfter(m, "build_fail", 60*time.Second, func(e event) bool { return e.Event == "build_fail" })
	if len(e.Diagnostics) == 0 || e.Diagnostics[0].File != filepath.Join(link, "msg", "msg.go") {
		t.Fatalf("build_fail diagnostics %+v, want msg/msg.go under %s", e.Diagnostics, link)
	}
	for _, dir := range []string{link, real} {
		for _, root := range []string{link, real} {
			cmd := exec.Command(binary, "graph", "--explain", filepath.Join(dir, "msg", "msg.go"), root)
			cmd.Env = append(os.Environ(), "GOCACHE="+gocache)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "rebuild .: . → ./msg") {
				t.Errorf("graph --explain %s/msg/msg.go %s: %v %q, want a rebuild", dir, root, err, out)
			}
		}
	}
}

// TestRunDefaultPortTaken: with 127.0.0.1:8080 taken, ginhotd run with the
// default address serves on the next free port and says so (a warn event,
// and the status URL); an address the user chose stays strict.
func TestRunDefaultPortTaken(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err == nil {
		t.Cleanup(func() { ln.Close() })
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatal(err)
	} // else something else holds it: just as good
	d := launchAt(t, copyFixture(t, "app"))
	d.await("first version ready", 120*time.Second, func(e event) bool { return e.Event == "ready" })
	st := d.await("status with URL", 5*time.Second, func(e event) bool {
		return e.Status != nil && len(e.Status.Targets) > 0 && e.Status.Targets[0].URL != ""
	})
	d.url = st.Status.Targets[0].URL
	// Inside a container (this machine may be one) the default address is
	// every interface, reached as localhost.
	def, host := "127.0.0.1:8080", "127.0.0.1"
	if config.DetectContainer() != "" {
		def, host = "0.0.0.0:8080", "localhost"
	}
	if d.url == "http://"+host+":8080" || !strings.HasPrefix(d.url, "http://"+host+":80") {
		t.Fatalf("status URL %s, want the next free port above 8080", d.url)
	}
	if got := d.get("/"); got != "v1" {
		t.Fatalf("GET %s/ = %q, want v1", d.url, got)
	}
	warn := d.await("warning about the port", time.Second, func(e event) bool { return e.Event == "warn" })
	if !strings.Contains(warn.Message, def+" is in use") || !strings.Contains(warn.Message, d.url) {
		t.Errorf("warning %q, want it to name %s and %s", warn.Message, def, d.url)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cmd := exec.Command(binary, "run", "--addr", taken.Addr().String(), copyFixture(t, "app"))
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GOCACHE="+gocache)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "listen on "+taken.Addr().String()) || !strings.Contains(string(out), "address already in use") {
		t.Fatalf("--addr %s while taken: %v\n%s\nwant exit 1 naming the address", taken.Addr(), err, out)
	}
}
