package session

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// These tests drive the target state machine with fakes (fakes_test.go) in
// a synctest bubble: each runs in microseconds of real time, with no go
// binary, and every wait is on fake time.

func TestFirstBuildStartsAndServes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.run()
		after(time.Second + 50*time.Millisecond)
		st := h.status()
		if st.State != StateRunning || st.Generation != 1 || !st.Serving || st.PID != 1001 {
			t.Fatalf("status = %+v, want running generation 1 served by pid 1001", st)
		}
		if got, want := h.events.kinds(), "skip build_start build_ok start ready"; got != want {
			t.Fatalf("events = %q, want %q", got, want)
		}
		if sw, _, _ := h.router.get(); !slices.Equal(sw, []string{"127.0.0.1:40001"}) {
			t.Fatalf("proxy switches = %q, want the first version's port", sw)
		}
		if p := h.runner.proc(1); !slices.Contains(p.spec.Env, "PORT=40001") {
			t.Fatalf("app env = %q, want PORT=40001", p.spec.Env)
		}
	})
}

// TestBlueGreenOrder checks that a save starts the new version while the old
// one serves, switches the proxy once the new one is ready, and only then
// drains and stops the old one.
func TestBlueGreenOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) { h.router.drain = 2 * time.Second })
		h.run()
		after(2 * time.Second)
		h.save("internal/store/store.go")
		after(time.Second) // the build
		if old := h.runner.proc(1); old.wasStopped() || h.runner.started() != 2 {
			t.Fatalf("after the build: old stopped=%v, started=%d; want the old serving while the new one starts", old.wasStopped(), h.runner.started())
		}
		after(50 * time.Millisecond) // the new version is ready
		if sw, _, _ := h.router.get(); len(sw) != 2 || sw[1] != "127.0.0.1:40002" {
			t.Fatalf("proxy switches = %q, want a switch to the new version", sw)
		}
		if h.runner.proc(1).wasStopped() {
			t.Fatal("the old version was stopped before its in-flight requests drained")
		}
		after(2 * time.Second) // drained
		if !h.runner.proc(1).wasStopped() {
			t.Fatal("the old version was not stopped after draining")
		}
		if got, want := h.events.kinds(), "skip build_start build_ok start ready build_start build_ok start ready stop"; got != want {
			t.Fatalf("events = %q, want %q", got, want)
		}
		if e, _ := h.events.last(KindBuildStart); e.Cause != "editor save" {
			t.Fatalf("build_start cause = %q, want the editor save that set it off", e.Cause)
		}
		if st := h.status(); st.Generation != 2 || st.PID != 1002 {
			t.Fatalf("status = %+v, want generation 2 on pid 1002", st)
		}
	})
}

// TestStaleBuildIsDropped: a slow build that finishes after a newer, faster
// one is ignored, even when it does not honour cancellation.
func TestStaleBuildIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(_ context.Context, n int) (build.Result, error) {
				d := map[int]time.Duration{1: time.Second, 2: 3 * time.Second, 3: 500 * time.Millisecond}[n]
				time.Sleep(d)
				return build.Result{OK: true, Binary: "bin-" + string(rune('0'+n)), Duration: d}, nil
			}
		})
		h.run()
		after(2 * time.Second)
		h.save("a.go") // build 2: 3 s
		after(500 * time.Millisecond)
		h.save("b.go") // build 3: 0.5 s
		after(5 * time.Second)
		if n := h.runner.started(); n != 2 {
			t.Fatalf("started %d versions, want 2 (the stale build must not start one)", n)
		}
		if bin := h.runner.proc(2).spec.Path; bin != "bin-3" {
			t.Fatalf("second version runs %s, want bin-3 from the newest build", bin)
		}
		if got := len(h.events.all(KindBuildOK)); got != 2 {
			t.Fatalf("build_ok events = %d, want 2", got)
		}
	})
}

// TestSaveDuringStartup: a version that is still starting when a newer one
// is built is never switched to, and is stopped.
func TestSaveDuringStartup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.runner.script = func(n int) script {
				if n == 2 {
					return readyAfter(2 * time.Second) // slow start
				}
				return readyAfter(50 * time.Millisecond)
			}
		})
		h.run()
		after(2 * time.Second)
		h.save("a.go")
		after(time.Second + 500*time.Millisecond) // version 2 is starting
		h.save("b.go")
		after(3 * time.Second)
		sw, _, _ := h.router.get()
		if !slices.Equal(sw, []string{"127.0.0.1:40001", "127.0.0.1:40003"}) {
			t.Fatalf("proxy switches = %q, want versions 1 then 3, never the superseded 2", sw)
		}
		if !h.runner.proc(2).wasStopped() || !h.runner.proc(1).wasStopped() || h.runner.proc(3).wasStopped() {
			t.Fatal("want versions 1 and 2 stopped and 3 running")
		}
		if st := h.status(); st.Generation != 2 || st.PID != 1003 || st.State != StateRunning {
			t.Fatalf("status = %+v, want running generation 2 on pid 1003", st)
		}
	})
}

// TestCrashWhileDraining: the old version exiting while it drains is not a
// crash of the app.
func TestCrashWhileDraining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.router.drain = 5 * time.Second
			h.runner.script = func(n int) script {
				if n == 1 {
					return crashAfter(50*time.Millisecond, 2*time.Second) // dies while draining
				}
				return readyAfter(50 * time.Millisecond)
			}
		})
		h.run()
		after(1100 * time.Millisecond)
		h.save("a.go")
		after(1100 * time.Millisecond) // new version ready, old draining
		after(3 * time.Second)         // old crashes during the drain
		if c := h.events.all(KindCrash); len(c) != 0 {
			t.Fatalf("crash events = %+v, want none", c)
		}
		if st := h.status(); st.State != StateRunning || st.PID != 1002 {
			t.Fatalf("status = %+v, want running on the new version", st)
		}
		if h.runner.started() != 2 {
			t.Fatalf("started %d versions, want 2 (no crash restart)", h.runner.started())
		}
	})
}

// TestFailedBuildKeepsLastGood: the old version keeps serving, and the
// events and status say so.
func TestFailedBuildKeepsLastGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := build.Diagnostic{File: "/nonexistent/store.go", Line: 12, Col: 3, Message: "undefined: x", Kind: build.KindCompile}
		h := newHarness(t, func(h *harness) {
			ok := builds(time.Second)
			h.builder.build = func(ctx context.Context, n int) (build.Result, error) {
				if n == 2 {
					time.Sleep(time.Second)
					return build.Result{Diags: []build.Diagnostic{bad}, Output: bad.String()}, nil
				}
				return ok(ctx, n)
			}
		})
		h.run()
		after(2 * time.Second)
		h.save("store.go")
		after(2 * time.Second)
		e, _ := h.events.last(KindBuildFail)
		if !e.Serving || e.Generation != 1 || len(e.Diagnostics) != 1 {
			t.Fatalf("build_fail = %+v, want generation 1 still serving and one diagnostic", e)
		}
		if d, _ := h.events.last(KindDiagnostics); len(d.Diagnostics) != 1 || d.Diagnostics[0].Line != 12 {
			t.Fatalf("diagnostics = %+v, want the error at line 12", d.Diagnostics)
		}
		st := h.status()
		if st.State != StateFailed || !st.Serving || st.PID != 1001 || h.runner.proc(1).wasStopped() {
			t.Fatalf("status = %+v, want failed with pid 1001 still serving", st)
		}
		if _, _, fails := h.router.get(); len(fails) != 1 || !strings.Contains(fails[0], "undefined: x") {
			t.Fatalf("proxy fails = %q, want the build output for the overlay", fails)
		}
		h.save("store.go") // fixed
		after(2 * time.Second)
		if d, _ := h.events.last(KindDiagnostics); len(d.Diagnostics) != 0 {
			t.Fatalf("diagnostics after the fix = %+v, want none", d.Diagnostics)
		}
		if st := h.status(); st.State != StateRunning || st.Generation != 2 {
			t.Fatalf("status after the fix = %+v, want running generation 2", st)
		}
	})
}

// TestFirstBuildFails: with nothing running yet, the failure says so.
func TestFirstBuildFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(context.Context, int) (build.Result, error) {
				return build.Result{Diags: []build.Diagnostic{{Message: "no Go files", Kind: build.KindOther}}, Output: "no Go files"}, nil
			}
		})
		h.run()
		after(time.Second)
		e, _ := h.events.last(KindBuildFail)
		if e.Serving || e.Generation != 0 {
			t.Fatalf("build_fail = %+v, want nothing serving, generation 0", e)
		}
		if st := h.status(); st.State != StateFailed || st.Serving || st.Generation != 0 {
			t.Fatalf("status = %+v, want failed with no version", st)
		}
	})
}

// TestStartupPanicKeepsOldVersion: a new version that panics at start is
// reported at the panicking line; the old version keeps serving.
func TestStartupPanicKeepsOldVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var file string
		h := newHarness(t, func(h *harness) {
			file = filepath.Join(h.dir, "cmd/api/main.go")
			h.runner.script = func(n int) script {
				if n == 1 {
					return readyAfter(50 * time.Millisecond)
				}
				return func(p *fakeProc) {
					time.Sleep(20 * time.Millisecond)
					p.exit(errors.New("exit status 2"), []string{
						"panic: no database",
						"",
						"goroutine 1 [running]:",
						"main.main()",
						"\t" + file + ":42 +0x1d",
					})
				}
			}
		})
		h.run()
		after(2 * time.Second)
		h.save("cmd/api/main.go")
		after(2 * time.Second)
		e, ok := h.events.last(KindCrash)
		if !ok || len(e.Diagnostics) != 1 || e.Diagnostics[0].File != file || e.Diagnostics[0].Line != 42 || e.Diagnostics[0].Kind != build.KindPanic {
			t.Fatalf("crash = %+v, want a panic diagnostic at main.go:42", e)
		}
		if !e.Serving || e.Generation != 1 {
			t.Fatalf("crash = %+v, want generation 1 still serving", e)
		}
		st := h.status()
		if st.State != StateFailed || st.PID != 1001 || h.runner.proc(1).wasStopped() {
			t.Fatalf("status = %+v, want failed with pid 1001 serving", st)
		}
		if h.runner.started() != 2 {
			t.Fatalf("started %d versions, want 2 (no retry of a broken new version while the old serves)", h.runner.started())
		}
	})
}

// TestCrashBackoffAndReset: a crash loop restarts the last good binary with
// a doubling delay; a version that ran long enough resets it.
func TestCrashBackoffAndReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.runner.script = func(n int) script {
				if n == 4 {
					return crashAfter(50*time.Millisecond, 30*time.Second) // a healthy run
				}
				return crashAfter(50*time.Millisecond, 100*time.Millisecond)
			}
		})
		h.run()
		after(time.Minute)
		var delays []string
		for _, e := range h.events.all(KindRestart) {
			delays = append(delays, strings.TrimPrefix(e.Reason, "starting again in "))
		}
		if len(delays) < 6 {
			t.Fatalf("restarts = %q, want at least 6", delays)
		}
		if want := []string{"200ms", "400ms", "800ms", "200ms", "400ms"}; !slices.Equal(delays[:5], want) {
			t.Fatalf("restart delays = %q, want %q (reset after the healthy run)", delays, want)
		}
		for i := 1; i <= h.runner.started(); i++ {
			if p := h.runner.proc(i); p.spec.Path != "bin-1" {
				t.Fatalf("restart %d runs %s, want the last good bin-1", i, p.spec.Path)
			}
		}
		if _, holds, _ := h.router.get(); len(holds) == 0 || !strings.Contains(holds[0], "boom") {
			t.Fatalf("proxy holds = %q, want the crash reason with the app's last output", holds)
		}
	})
}

// TestStopDuringBuild: stop cancels the build and nothing starts.
func TestStopDuringBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := false
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(ctx context.Context, _ int) (build.Result, error) {
				select {
				case <-time.After(time.Second):
					return build.Result{OK: true, Binary: "bin-1"}, nil
				case <-ctx.Done():
					cancelled = true
					return build.Result{}, ctx.Err()
				}
			}
		})
		h.run()
		after(300 * time.Millisecond)
		if err := h.s.Do(CmdStop, ""); err != nil {
			t.Fatal(err)
		}
		after(2 * time.Second)
		if !cancelled || h.runner.started() != 0 {
			t.Fatalf("cancelled=%v started=%d, want the build cancelled and nothing started", cancelled, h.runner.started())
		}
		if st := h.status(); st.State != StateStopped {
			t.Fatalf("status = %+v, want stopped", st)
		}
		if err := h.s.Do(CmdStart, "./cmd/api"); err != nil {
			t.Fatal(err)
		}
		after(2 * time.Second)
		if st := h.status(); st.State != StateRunning {
			t.Fatalf("status after start = %+v, want running", st)
		}
	})
}

// TestTemplateRestartsWithoutBuild: a restart decision starts the last good
// binary again, blue/green.
func TestTemplateRestartsWithoutBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.run()
		after(2 * time.Second)
		h.save("web/index.tmpl")
		after(time.Second)
		if n := h.builder.count(); n != 1 {
			t.Fatalf("builds = %d, want 1 (a template needs no build)", n)
		}
		if h.runner.started() != 2 || h.runner.proc(2).spec.Path != "bin-1" || !h.runner.proc(1).wasStopped() {
			t.Fatal("want the same binary restarted and the old version stopped")
		}
	})
}

// TestNoProxyStopsFirst: without the proxy the old version must free the
// address before the new one starts.
func TestNoProxyStopsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Proxy = false
		h.s.cfg.Addr = "127.0.0.1:8080"
		h.run()
		after(2 * time.Second)
		h.save("a.go")
		after(2 * time.Second)
		if got, want := h.events.kinds(), "skip build_start build_ok start ready build_start build_ok stop start ready"; got != want {
			t.Fatalf("events = %q, want %q", got, want)
		}
		if p := h.runner.proc(2); !slices.Contains(p.spec.Env, "PORT=8080") {
			t.Fatalf("app env = %q, want PORT=8080 (the public port)", p.spec.Env)
		}
	})
}

// TestGoMissing: a missing go command is an error the user can act on.
func TestGoMissing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(context.Context, int) (build.Result, error) {
				return build.Result{}, build.ErrGoNotFound
			}
		})
		h.run()
		after(time.Second)
		e, ok := h.events.last(KindError)
		if !ok || !strings.Contains(e.Message, "not in PATH") {
			t.Fatalf("error event = %+v, want one saying go is not in PATH", e)
		}
		if st := h.status(); st.State != StateFailed {
			t.Fatalf("status = %+v, want failed", st)
		}
	})
}
