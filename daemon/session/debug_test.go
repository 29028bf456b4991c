package session

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// These tests drive debug mode on the fakes: a fakeProc started with
// spec.Debug has a Delve address (127.0.0.1:5000N for the Nth start) and an
// app pid of its own (200N), and the test says what Delve reports about it.

// debugHarness is a harness with debug mode on in the config.
func debugHarness(t *testing.T, setup func(h *harness)) *harness {
	h := newHarness(t, setup)
	h.s.cfg.Debug = true
	return h
}

// TestDebugVersionAnnouncesItsAddress: a debug build of the workspace's
// modules runs under Delve; the ready event, the status and the start event
// carry its address and the app's own pid.
func TestDebugVersionAnnouncesItsAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, nil)
		h.run()
		after(2 * time.Second)
		o := h.builder.options(1)
		if !o.Debug || !slices.Equal(o.Modules, []string{"example.com/app"}) {
			t.Fatalf("build options = %+v, want a debug build of example.com/app", o)
		}
		p := h.runner.proc(1)
		if p.spec.Debug == nil || p.spec.Debug.Dlv != "/go/bin/dlv" || p.spec.Debug.Wait {
			t.Fatalf("spec.Debug = %+v, want dlv /go/bin/dlv with --continue", p.spec.Debug)
		}
		e, _ := h.events.last(KindReady)
		if e.Debug != "127.0.0.1:50001" || e.PID != 2001 {
			t.Fatalf("ready = %+v, want debug 127.0.0.1:50001 and the app's pid 2001", e)
		}
		if st := h.status(); st.Debug != "127.0.0.1:50001" || st.PID != 2001 || st.State != StateRunning {
			t.Fatalf("status = %+v, want running, debug 127.0.0.1:50001, pid 2001", st)
		}
		h.save("a.go")
		after(2 * time.Second)
		if e, _ := h.events.last(KindReady); e.Debug != "127.0.0.1:50002" {
			t.Fatalf("second ready = %+v, want the new version's address 127.0.0.1:50002", e)
		}
		if st := h.status(); st.Debug != "127.0.0.1:50002" {
			t.Fatalf("status after the save = %+v, want the new version's address", st)
		}
	})
}

// TestDebugHaltedVersionIsKeptUntilFree: with a client attached and the old
// version halted at a breakpoint, a save still starts and switches to the
// new version, but the old one is stopped only once the client continues.
func TestDebugHaltedVersionIsKeptUntilFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, nil)
		h.run()
		after(2 * time.Second)
		old := h.runner.proc(1)
		old.setDebug(run.DebugState{Clients: 1, Stopped: true})
		h.save("a.go")
		after(2 * time.Second)
		if sw, _, _ := h.router.get(); len(sw) != 2 || sw[1] != "127.0.0.1:40002" {
			t.Fatalf("proxy switches = %q, want new requests to go to the new version", sw)
		}
		after(30 * time.Second)
		if old.wasStopped() {
			t.Fatal("the version halted in the debugger was stopped under the user")
		}
		if w, ok := h.events.last(KindWarn); !ok || !strings.Contains(w.Message, "halted in the debugger") {
			t.Fatalf("warn = %+v, want one saying the old version is kept while halted", w)
		}
		if st := h.status(); st.PID != 2002 || st.Debug != "127.0.0.1:50002" || st.Generation != 2 {
			t.Fatalf("status = %+v, want generation 2 (pid 2002, debug 127.0.0.1:50002)", st)
		}
		old.setDebug(run.DebugState{Clients: 1}) // the user continues
		after(debugPoll + time.Second)           // the next poll, then the drain
		if !old.wasStopped() {
			t.Fatal("the old version was not stopped once its client let it run")
		}
		if e, _ := h.events.last(KindStop); e.PID != 2001 {
			t.Fatalf("stop = %+v, want the old version's app pid 2001", e)
		}
	})
}

// TestDebugStopDoesNotWait: an explicit stop stops a halted old version at
// once, and so does the end of the session.
func TestDebugStopDoesNotWait(t *testing.T) {
	for _, how := range []string{"stop command", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := debugHarness(t, nil)
				h.run()
				after(2 * time.Second)
				old := h.runner.proc(1)
				old.setDebug(run.DebugState{Clients: 1, Stopped: true})
				h.save("a.go")
				after(5 * time.Second)
				if old.wasStopped() {
					t.Fatal("the halted version was stopped before the stop")
				}
				if how == "stop command" {
					if err := h.s.Do(CmdStop, ""); err != nil {
						t.Fatal(err)
					}
					synctest.Wait()
				} else {
					h.stop()
				}
				if !old.wasStopped() || !h.runner.proc(2).wasStopped() {
					t.Fatalf("after the %s: old stopped=%v, new stopped=%v; want both at once", how, old.wasStopped(), h.runner.proc(2).wasStopped())
				}
			})
		})
	}
}

// TestDebugToggleDuringBuild: switching debug mode on cancels the build in
// flight and builds again for Delve; switching it off builds without.
func TestDebugToggleDuringBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cancelled []int
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(ctx context.Context, n int) (build.Result, error) {
				select {
				case <-time.After(time.Second):
					return build.Result{OK: true, Binary: "bin-" + string(rune('0'+n))}, nil
				case <-ctx.Done():
					cancelled = append(cancelled, n)
					return build.Result{}, ctx.Err()
				}
			}
		})
		h.run()
		after(2 * time.Second)
		h.save("a.go")
		after(300 * time.Millisecond) // build 2 runs
		on, err := h.s.SetDebug(true)
		if err != nil || !on {
			t.Fatalf("SetDebug(true) = %v, %v", on, err)
		}
		after(2 * time.Second)
		if !slices.Equal(cancelled, []int{2}) || !h.builder.options(3).Debug {
			t.Fatalf("cancelled builds %v, build 3 debug=%v; want build 2 cancelled and build 3 for Delve", cancelled, h.builder.options(3).Debug)
		}
		if n := h.runner.started(); n != 2 || h.runner.proc(2).spec.Debug == nil {
			t.Fatalf("started %d versions; want 2, the second under Delve", n)
		}
		if st := h.status(); st.Debug != "127.0.0.1:50002" {
			t.Fatalf("status = %+v, want the debug address of the new version", st)
		}
		if on, _ := h.s.Debug(); !on {
			t.Fatal("Debug() = false after SetDebug(true)")
		}
		if on, err := h.s.SetDebug(false); err != nil || on {
			t.Fatalf("SetDebug(false) = %v, %v", on, err)
		}
		after(2 * time.Second)
		if h.builder.options(4).Debug || h.runner.proc(3).spec.Debug != nil {
			t.Fatal("after debug mode off the build or the version is still for Delve")
		}
		if st := h.status(); st.Debug != "" || st.Generation != 3 {
			t.Fatalf("status = %+v, want generation 3 without a debug address", st)
		}
	})
}

// TestDebugWithoutDlv: a missing dlv is an error event with the install
// line, and the session runs in normal mode.
func TestDebugWithoutDlv(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, func(h *harness) { h.runner.dlvErr = run.ErrDlvNotFound })
		h.run()
		after(2 * time.Second)
		e, ok := h.events.last(KindError)
		if !ok || !strings.Contains(e.Message, "go install github.com/go-delve/delve/cmd/dlv@") {
			t.Fatalf("error = %+v, want one with the go install line", e)
		}
		if h.builder.options(1).Debug || h.runner.proc(1).spec.Debug != nil {
			t.Fatal("without dlv the build or the version is for Delve")
		}
		if st := h.status(); st.State != StateRunning || st.Debug != "" {
			t.Fatalf("status = %+v, want running in normal mode", st)
		}
		if on, err := h.s.SetDebug(true); on || !errors.Is(err, run.ErrDlvNotFound) {
			t.Fatalf("SetDebug(true) = %v, %v; want false and ErrDlvNotFound", on, err)
		}
		after(2 * time.Second)
		if n := h.builder.count(); n != 1 {
			t.Fatalf("builds = %d, want 1 (a failed switch builds nothing)", n)
		}
	})
}

// TestDebugWithSocketActivation: debug mode stays off, and says why.
func TestDebugWithSocketActivation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, nil)
		h.s.cfg.SocketActivation = true
		h.s.cfg.Addr = "127.0.0.1:0"
		h.run()
		after(2 * time.Second)
		if e, ok := h.events.last(KindError); !ok || !strings.Contains(e.Message, "socket activation") {
			t.Fatalf("error = %+v, want one about socket activation", e)
		}
		if h.builder.options(1).Debug || h.runner.proc(1).spec.Debug != nil {
			t.Fatal("with socket activation the build or the version is for Delve")
		}
	})
}

// TestDebugWaitHoldsUntilAttached: with debug_wait a version halted before
// main is not timed out while it waits for a client; the status names its
// address, and with nothing serving the proxy holds requests and says why.
func TestDebugWaitHoldsUntilAttached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, func(h *harness) {
			h.runner.script = func(int) script {
				return func(p *fakeProc) { <-p.exited } // ready when the test says so
			}
		})
		h.s.cfg.DebugWait = true
		h.run()
		after(time.Minute) // four times the start timeout
		p := h.runner.proc(1)
		if !p.spec.Debug.Wait {
			t.Fatal("spec.Debug.Wait = false with debug_wait")
		}
		if c := h.events.all(KindCrash); len(c) != 0 {
			t.Fatalf("crash events %+v while the app waits for a debugger", c)
		}
		want := "waiting for a debugger to attach to 127.0.0.1:50001"
		if st := h.status(); st.State != StateStarting || st.Debug != "127.0.0.1:50001" || st.Error != want {
			t.Fatalf("status = %+v, want starting, debug 127.0.0.1:50001 and %q", st, want)
		}
		if _, holds, _ := h.router.get(); !slices.Contains(holds, want) {
			t.Fatalf("proxy holds = %q, want %q", holds, want)
		}
		p.setDebug(run.DebugState{Clients: 1}) // attached and continued
		close(p.readyc)
		after(time.Second)
		if st := h.status(); st.State != StateRunning || st.Debug != "127.0.0.1:50001" || st.Error != "" {
			t.Fatalf("status = %+v, want running on 127.0.0.1:50001", st)
		}
	})
}

// TestDebugWaitTimesOutWhenRunning: a debug_wait version that runs (a
// client continued it) but never listens still times out.
func TestDebugWaitTimesOutWhenRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := debugHarness(t, func(h *harness) {
			h.runner.script = func(int) script {
				return func(p *fakeProc) {
					p.setDebug(run.DebugState{Clients: 1}) // running, never listening
					<-p.exited
				}
			}
		})
		h.s.cfg.DebugWait = true
		h.run()
		after(20 * time.Second)
		if e, ok := h.events.last(KindCrash); !ok || !strings.Contains(e.Reason, "did not listen") {
			t.Fatalf("crash = %+v, want a start-up timeout", e)
		}
	})
}
