//go:build unix

package lsp

import (
	"context"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// TestListenUnix: the socket file has mode 0600 in a directory of mode
// 0700 that Listen creates; a client there may set every setting, and the
// socket file is gone after Listen returns.
func TestListenUnix(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(dir, "ginhotd.sock")
	ctx, cancel := context.WithCancel(context.Background())
	logs := newLogLines(t)
	done := make(chan error, 1)
	go func() {
		err := Listen(ctx, "unix:"+path, false, Options{Logf: logs.logf})
		if err != nil {
			logs.logf("test: Listen: %v", err)
		}
		done <- err
	}()
	logs.await(wait, regexp.MustCompile("^"+regexp.QuoteMeta("lsp: listening on unix:"+path)+"$"), regexp.MustCompile("^test: Listen: "))

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("socket directory: %v, mode %v; want 0700", err, fi.Mode())
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket file: %v, mode %v; want a socket with mode 0600", err, fi.Mode())
	}

	app := copyFixture(t, "app")
	script, marker := toolexecMarker(t)
	params := initParams(app)
	params["initializationOptions"].(map[string]any)["build_flags"] = []string{"-toolexec=" + script}
	c := dialClient(t, "unix:"+path)
	from := c.mark()
	c.mustCall("initialize", params, nil)
	c.notify("initialized", map[string]any{})
	c.await(from, wait, "status running with a pid", isStatus(app, running(0)))
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the build did not use the client's -toolexec: %v", err)
	}
	c.mustCall("shutdown", nil, nil)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen after cancel = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Listen did not return after cancel")
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file after Listen returned: %v, want it removed", err)
	}
}

// privateTempDir returns a new temporary directory of mode 0700.
func privateTempDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestListenUnixRefuses: a socket directory others can open or another
// user owns, a file that is not a socket, a socket in use and a path too
// long are refused with a message that says why.
func TestListenUnixRefuses(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	notSocket := filepath.Join(privateTempDir(t), "file")
	writeFile(t, notSocket, "x")
	live := filepath.Join(privateTempDir(t), "live.sock")
	ln, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(open, "s.sock"), "has mode 0755"},
		{notSocket, "is not a socket"},
		{live, "is in use"},
		{filepath.Join(privateTempDir(t), strings.Repeat("x", 120)), "unix sockets allow 103"},
	} {
		err := Listen(context.Background(), "unix:"+tc.path, false, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Listen(unix:%s) = %v, want an error with %q", tc.path, err, tc.want)
		}
	}
	if os.Getuid() == 0 {
		other := t.TempDir()
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		err := Listen(context.Background(), "unix:"+filepath.Join(other, "s.sock"), false, Options{})
		if err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
			t.Errorf("Listen in another user's directory = %v, want a refusal naming the owner", err)
		}
	}
}

// A socket file left by a daemon that was killed is replaced.
func TestListenUnixStale(t *testing.T) {
	path := filepath.Join(privateTempDir(t), "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	addr, logs := startListen(t, "unix:"+path)
	dialClient(t, addr).mustCall("initialize", emptyInit(), nil)
	if !strings.Contains(logs.String(), "removed stale socket "+path) {
		t.Errorf("log does not say the stale socket was removed:\n%s", logs)
	}
}

// TestTCPRefusesFoldersOthersCanWrite: over TCP a workspace folder that
// other users can write to is not built; over stdio it is the user's call.
func TestTCPRefusesFoldersOthersCanWrite(t *testing.T) {
	dir := copyFixture(t, "app")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	addr, _ := startListen(t, "127.0.0.1:0")
	err := dialClient(t, addr).call("initialize", initParams(dir), nil)
	if rpcCode(err) != jsonrpc2.InvalidParams || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "group or others can write") {
		t.Fatalf("initialize over TCP with a world-writable folder = %v, want InvalidParams naming the folder and why", err)
	}
	newClient(t, Options{}).mustCall("initialize", initParams(dir), nil)
}

// chromium returns the Chromium binary on PATH. Without one the test is
// skipped, except on CI, which installs it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not on PATH; CI installs it (.ci/test: apt-get install chromium)")
	}
	t.Skip("chromium is not on PATH; install it (apt-get install chromium) to run the web page attack")
	return ""
}

// attackPage is a page that sends LSP frames to the daemon the way any web
// page can: a no-cors POST with a text/plain body needs no CORS preflight.
// It then reports what its fetch saw to its own origin's /outcome.
var attackPage = template.Must(template.New("attack").Parse(`<!doctype html>
<title>attack</title>
<script>
fetch({{.URL}}, {method: "POST", mode: "no-cors", body: {{.Body}}})
  .then(() => "resolved", e => "rejected: " + e)
  .then(r => fetch("/outcome", {method: "POST", body: r}));
</script>
`))

// TestListenRefusesBrowserFetch: a page served from another origin, in a
// real headless Chromium, fetches the daemon's port with LSP frames in its
// body. The daemon closes the connection unread and starts no build.
func TestListenRefusesBrowserFetch(t *testing.T) {
	browser := chromium(t)
	addr, logs := startListen(t, "127.0.0.1:0")
	frames, marker := attackFrames(t)
	outcome := make(chan string, 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if err := attackPage.Execute(w, map[string]string{"URL": "http://" + addr + "/", "Body": frames}); err != nil {
				t.Error(err)
			}
		case "/outcome":
			b, _ := io.ReadAll(r.Body)
			select {
			case outcome <- string(b):
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(site.Close)

	var out syncBuffer
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), site.URL+"/")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})

	line := logs.await(wait, refused, served)
	if !strings.Contains(line, `an HTTP request ("POST / HTTP/1.1")`) {
		t.Errorf("log line %q does not name the HTTP request", line)
	}
	select {
	case o := <-outcome:
		if !strings.HasPrefix(o, "rejected") {
			t.Errorf("the page's fetch %s, want it rejected (no answer)", o)
		}
	case <-time.After(wait):
		t.Fatalf("the page did not report its fetch within %v; chromium said:\n%s", wait, out.String())
	}
	assertNothingRan(t, logs, marker)
}
