package session

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// TestOwnPortIsLearned: an app that listens on a port of its own is
// served through the proxy there; its reloads stop the old version before
// the new one starts, with the proxy holding requests in between.
func TestOwnPortIsLearned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Env = []string{"OWN_PORT=9090"}
		h.running()
		if sw, _, _ := h.router.get(); len(sw) != 1 || sw[0] != "127.0.0.1:9090" {
			t.Fatalf("proxy switches = %q, want the app's own port", sw)
		}
		w, ok := h.events.last(KindWarn)
		if !ok || !strings.Contains(w.Message, "listens on :9090 itself") || !strings.Contains(w.Message, "stops the old version before the new one starts") {
			t.Fatalf("warning = %q, want what happened and what reloads do now", w.Message)
		}
		h.save("a.go")
		after(time.Second + 10*time.Millisecond) // the build; the old version stops first
		if h.runner.started() != 2 || !h.runner.proc(1).wasStopped() {
			t.Fatalf("started %d, old stopped %v: want the old version stopped before the new one started", h.runner.started(), h.runner.proc(1).wasStopped())
		}
		if _, holds, _ := h.router.get(); len(holds) == 0 || !strings.Contains(holds[len(holds)-1], "listens on :9090 itself") {
			t.Fatalf("holds = %q, want requests held across the gap", holds)
		}
		after(100 * time.Millisecond)
		if st := h.status(); st.State != StateRunning || st.Generation != 2 {
			t.Fatalf("status = %+v, want generation 2 running", st)
		}
		if sw, _, _ := h.router.get(); len(sw) != 2 || sw[1] != "127.0.0.1:9090" {
			t.Fatalf("proxy switches = %q", sw)
		}
	})
}

// TestAppTakesTheProxyPort: an app hard-coded to the proxy's own address
// gets it; the proxy moves to the next free port, says so, and the next
// session remembers.
func TestAppTakesTheProxyPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.runner.script = func(n int) script {
				if n == 1 {
					return func(p *fakeProc) {
						p.exit(errors.New("exit status 1"), []string{"[GIN-debug] [ERROR] listen tcp :8080: bind: address already in use"})
					}
				}
				return readyAfter(50 * time.Millisecond)
			}
		})
		h.s.cfg.Env = []string{"OWN_PORT=8080"}
		h.running()
		st := h.status()
		if st.URL != "http://127.0.0.1:8081" || st.Generation != 1 {
			t.Fatalf("status = %+v, want served through the proxy on the next port", st)
		}
		w, _ := h.events.last(KindWarn)
		if !strings.Contains(w.Message, "the proxy moved to http://127.0.0.1:8081") {
			t.Fatalf("warning = %q, want it to say where the proxy went", w.Message)
		}
		if len(h.events.all(KindCrash)) != 0 {
			t.Fatalf("a crash was reported for the port ginhotd gave away: %+v", h.events.all(KindCrash))
		}
		h.stop()
		b, err := os.ReadFile(filepath.Join(h.s.cache.shared, ownPortsFile))
		if err != nil || !strings.Contains(string(b), `"example.com/app/cmd/api":"8080"`) {
			t.Fatalf("%s = %s, %v; want the port remembered", ownPortsFile, b, err)
		}
	})
}

// TestBindErrorNamesTheHolder: a port taken by another process is named
// in the start failure.
func TestBindErrorNamesTheHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.runner.script = func(int) script {
				return func(p *fakeProc) {
					p.exit(errors.New("exit status 1"), []string{"listen tcp 127.0.0.1:1: bind: address already in use"})
				}
			}
		})
		h.run()
		after(1100 * time.Millisecond)
		e, ok := h.events.last(KindCrash)
		if !ok || !strings.Contains(e.Reason, ":1 is taken by another process") {
			t.Fatalf("crash = %+v, want the port and its holder", e)
		}
	})
}

// TestListenCall finds the call that makes each kind of app listen, and
// the framework it uses.
func TestListenCall(t *testing.T) {
	tests := []struct {
		name, src, port, framework string
		line                       int
	}{
		{"gin hard-coded", "package main\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc main() {\n\tr := gin.Default()\n\tr.Run(\":8080\")\n}\n", "8080", "gin", 7},
		{"echo from a config", "package main\n\nimport \"github.com/labstack/echo/v4\"\n\nfunc main() {\n\te := echo.New()\n\te.Logger.Fatal(e.Start(cfg.Addr))\n}\n", "9000", "echo", 7},
		{"net/http, the literal wins", "package main\n\nimport \"net/http\"\n\nfunc main() {\n\tgo http.ListenAndServe(\":6060\", nil)\n\thttp.ListenAndServe(\":8080\", nil)\n}\n", "8080", "net/http", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			fw, at := listenCall([]string{filepath.Join(dir, "main.go")}, tt.port)
			if fw != tt.framework || at.Line != tt.line || filepath.Base(at.Filename) != "main.go" {
				t.Fatalf("listenCall = %s at %v, want %s at main.go:%d", fw, at, tt.framework, tt.line)
			}
		})
	}
}

// TestStartFailureWaitsForAChange: an app that cannot start (a variable
// not set) is started again with backoff a bounded number of times, its
// output shown once, and then waits for a change, which starts it again.
func TestStartFailureWaitsForAChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.runner.script = func(int) script {
				return func(p *fakeProc) { p.exit(errors.New("exit status 2"), []string{"DATABASE_URL is not set"}) }
			}
		})
		h.run()
		after(time.Minute)
		starts := h.runner.started()
		if starts != maxRetries+1 {
			t.Fatalf("%d starts in a minute, want %d and then a wait", starts, maxRetries+1)
		}
		crashes := h.events.all(KindCrash)
		if crashes[0].Output != "DATABASE_URL is not set" || crashes[1].Output != "" || !strings.Contains(crashes[1].Reason, "the same output as the last time") {
			t.Fatalf("crash outputs %q, %q (%s): want the output once", crashes[0].Output, crashes[1].Output, crashes[1].Reason)
		}
		if w, _ := h.events.last(KindWarn); !strings.Contains(w.Message, "until a file changes or you run the restart command") {
			t.Fatalf("warning %q, want what it waits for", w.Message)
		}
		if st := h.status(); st.State != StateCrashed || !strings.Contains(st.Error, "gave up restarting") {
			t.Fatalf("status = %+v, want crashed, waiting", st)
		}
		h.write("config.yaml", "db: up\n")
		h.report("config.yaml")
		after(10 * time.Millisecond)
		if h.runner.started() != starts+1 {
			t.Fatalf("a change started it %d times, want once", h.runner.started()-starts)
		}
	})
}

// statMod is the modification time of a file, from the file system.
func statMod(p string) (time.Time, bool) {
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}, false
	}
	return fi.ModTime(), true
}

// TestSavedAt: a change seen well after its file was written (a polled
// mount) counts from the write; one seen at once, from now.
func TestSavedAt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.go")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	saved := now.Add(-2 * time.Second)
	if err := os.Chtimes(p, saved, saved); err != nil {
		t.Fatal(err)
	}
	if got := savedAt([]string{p}, now, statMod); !got.Equal(saved) {
		t.Errorf("polled change: savedAt = %v, want the write at %v", got, saved)
	}
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	if got := savedAt([]string{p, filepath.Join(t.TempDir(), "gone.go")}, now, statMod); !got.Equal(now) {
		t.Errorf("change seen at once: savedAt = %v, want now", got)
	}
}

// TestWatcherContentIsHashedOnce: a change the watcher reports with what
// it read is not read again: the session keys builds with the watcher's
// digest.
func TestWatcherContentIsHashedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.running()
		h.write("a.go", "package a\n")
		p := filepath.Join(h.dir, "a.go")
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		read := watch.Content{Digest: [32]byte{1, 2, 3}, Size: fi.Size(), ModTime: fi.ModTime()}
		h.watcher.batches <- watch.Batch{Paths: []string{p}, Contents: map[string]watch.Content{p: read}}
		after(10 * time.Millisecond)
		got, _ := h.s.ask(func() any { return h.s.digests[p].d })
		if got != build.Digest(read.Digest) {
			t.Fatalf("the session's digest of a.go = %x, want the watcher's %x", got, read.Digest)
		}
	})
}

// TestListenCallInARouterPackage: the listen call of many Gin apps is in
// a router package the main calls; its file and framework are found.
func TestListenCallInARouterPackage(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	router := filepath.Join(dir, "router", "router.go")
	for p, src := range map[string]string{
		main:   "package main\n\nimport \"example.com/app/router\"\n\nfunc main() { router.Initialize() }\n",
		router: "package router\n\nimport \"github.com/gin-gonic/gin\"\n\n// Initialize serves.\nfunc Initialize() {\n\tr := gin.Default()\n\tr.Run(\":8080\")\n}\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fw, at := listenCall([]string{main, router}, "8080")
	if fw != "gin" || at.Filename != router || at.Line != 8 {
		t.Fatalf("listenCall = %s at %v, want gin at router/router.go:8", fw, at)
	}
}
