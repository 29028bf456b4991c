package session

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// These tests cover speculate.go on the fakes: builds from an editor's
// buffers before the save, and binaries reused by content key.

// type writes content into the editor's buffer of path, unsaved.
func (h *harness) typeText(path, content string) {
	h.s.Edited(filepath.Join(h.dir, path), []byte(content))
}

// goSrc is store.go with V set to v: a buffer that parses.
func goSrc(v string) string { return "package store\n\nconst V = \"" + v + "\"\n" }

// TestSaveUsesPreparedBinary: typing pauses, the buffer is built with
// -overlay at low priority without starting anything; the save that writes
// the same text starts that binary with no build.
func TestSaveUsesPreparedBinary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		h.typeText("store.go", goSrc("v"))
		after(100 * time.Millisecond)
		h.typeText("store.go", goSrc("v2"))
		after(300*time.Millisecond + time.Second) // quiet window, then the build
		if n := h.builder.count(); n != 2 {
			t.Fatalf("builds = %d, want 1 speculative build after the pause", n)
		}
		o := h.builder.options(2)
		if !o.Nice || string(o.Overlay[filepath.Join(h.dir, "store.go")]) != goSrc("v2") {
			t.Fatalf("speculative build options = %+v, want nice and the buffer as overlay", o)
		}
		if got, want := h.events.kinds(), "skip build_start build_ok start ready prepared"; got != want {
			t.Fatalf("events = %q, want %q (nothing started, nothing reported but prepared)", got, want)
		}
		h.write("store.go", goSrc("v2"))
		h.report("store.go")
		after(100 * time.Millisecond)
		if n := h.builder.count(); n != 2 {
			t.Fatalf("builds = %d after the save, want no new build", n)
		}
		ok, _ := h.events.last(KindBuildOK)
		if !ok.Speculative || ok.SavedMS != 1000 {
			t.Fatalf("build_ok = %+v, want speculative with 1000ms saved", ok)
		}
		if st := h.status(); st.Generation != 2 || !st.Prepared || h.runner.proc(2).spec.Path != "bin-2" {
			t.Fatalf("status = %+v, want generation 2 prepared from bin-2", st)
		}
	})
}

// TestSpeculativeFailureIsSilent: a buffer that does not compile shows
// nothing; the save builds normally and reports the errors then.
func TestSpeculativeFailureIsSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := build.Diagnostic{File: "/nonexistent/store.go", Line: 3, Message: "undefined: x", Kind: build.KindCompile}
		const broken = "package store\n\nvar V = x\n" // parses, does not compile
		h := newHarness(t, func(h *harness) {
			ok := builds(time.Second)
			h.builder.build = func(ctx context.Context, n int) (build.Result, error) {
				if n > 1 {
					time.Sleep(time.Second)
					return build.Result{Diags: []build.Diagnostic{bad}, Output: bad.String()}, nil
				}
				return ok(ctx, n)
			}
		})
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		h.typeText("store.go", broken)
		after(2 * time.Second)
		if n := h.builder.count(); n != 2 || len(h.events.all(KindBuildFail)) != 0 || len(h.events.all(KindDiagnostics)) != 0 {
			t.Fatalf("builds = %d, events = %q; want one silent speculative build", n, h.events.kinds())
		}
		h.write("store.go", broken)
		h.report("store.go")
		after(2 * time.Second)
		if n := h.builder.count(); n != 3 || len(h.events.all(KindBuildFail)) != 1 {
			t.Fatalf("builds = %d, events = %q; want the save built and its failure reported", n, h.events.kinds())
		}
	})
}

// TestUnparsedBufferIsNotBuilt: a pause while the buffer does not parse
// (inside an unclosed string) builds nothing; the next pause, with Go that
// parses, builds it.
func TestUnparsedBufferIsNotBuilt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		h.typeText("store.go", "package store\n\nconst V = \"v2\n")
		after(2 * time.Second)
		if n := h.builder.count(); n != 1 || len(h.events.all(KindPrepared)) != 0 {
			t.Fatalf("builds = %d, events %q; want no build of a buffer that does not parse", n, h.events.kinds())
		}
		h.typeText("store.go", goSrc("v2"))
		after(2 * time.Second)
		if n := h.builder.count(); n != 2 || len(h.events.all(KindPrepared)) != 1 {
			t.Fatalf("builds = %d, events %q; want the buffer built once it parses", n, h.events.kinds())
		}
	})
}

// TestTypingCancelsSpeculation: a keystroke cancels the speculative build
// in flight, and one build per pause runs at most.
func TestTypingCancelsSpeculation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := 0
		h := newHarness(t, func(h *harness) {
			h.builder.build = func(ctx context.Context, n int) (build.Result, error) {
				select {
				case <-time.After(time.Second):
					return build.Result{OK: true, Binary: "bin", Duration: time.Second}, nil
				case <-ctx.Done():
					cancelled++
					return build.Result{}, ctx.Err()
				}
			}
		})
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		for _, text := range []string{"a", "ab", "abc"} {
			h.typeText("store.go", goSrc(text))
			after(100 * time.Millisecond) // faster than the quiet window: no build
		}
		after(400 * time.Millisecond)         // a pause: a build starts 300ms after "abc"
		h.typeText("store.go", goSrc("abcd")) // while it builds
		after(2 * time.Second)
		if n := h.builder.count(); n != 3 || cancelled != 1 {
			t.Fatalf("builds = %d (cancelled %d), want the first, one cancelled, and one for the last pause", n, cancelled)
		}
		if n := len(h.events.all(KindPrepared)); n != 1 {
			t.Fatalf("prepared events = %d, want 1", n)
		}
	})
}

// TestSaveWaitsForMatchingSpeculation: a save of the content a speculative
// build is building waits for it instead of building again.
func TestSaveWaitsForMatchingSpeculation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		h.typeText("store.go", goSrc("v2"))
		after(300*time.Millisecond + 500*time.Millisecond) // half way through
		h.write("store.go", goSrc("v2"))
		h.s.Edited(filepath.Join(h.dir, "store.go"), nil) // saved: no longer differs
		h.report("store.go")
		after(time.Second)
		if n := h.builder.count(); n != 2 {
			t.Fatalf("builds = %d, want the speculative one only", n)
		}
		e, _ := h.events.last(KindBuildStart)
		if !e.Speculative || !strings.Contains(e.Reason, "speculative build of this content") {
			t.Fatalf("build_start = %+v, want the wait for the speculative build", e)
		}
		if st := h.status(); st.Generation != 2 || !st.Prepared {
			t.Fatalf("status = %+v, want generation 2, prepared", st)
		}
		if ok, _ := h.events.last(KindBuildOK); !ok.Speculative || ok.MS != 500 || ok.SavedMS != 500 {
			t.Fatalf("build_ok = %+v, want 500ms waited after the save and 500ms saved", ok)
		}
	})
}

// TestUndoReusesBinary: returning to content built before swaps to its
// binary without a build; saving the content that serves does nothing.
func TestUndoReusesBinary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.write("store.go", goSrc("A"))
		h.run()
		after(2 * time.Second)
		h.write("store.go", goSrc("B"))
		h.report("store.go")
		after(2 * time.Second)
		h.write("store.go", goSrc("A")) // undo
		h.report("store.go")
		after(time.Second)
		if n := h.builder.count(); n != 2 {
			t.Fatalf("builds = %d, want 2 (the undo reuses the first binary)", n)
		}
		if st := h.status(); st.Generation != 3 || h.runner.proc(3).spec.Path != "bin-1" {
			t.Fatalf("status = %+v, want generation 3 running bin-1", st)
		}
		h.report("store.go") // the same content again (the watcher's copy of an editor save)
		after(time.Second)
		if h.runner.started() != 3 || h.builder.count() != 2 {
			t.Fatalf("started %d, builds %d; want nothing for content already served", h.runner.started(), h.builder.count())
		}
	})
}

// TestEditorSaveSkipsDebounce: an editor save is decided on at once, and
// the watcher's report of the same content is dropped.
func TestEditorSaveSkipsDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.run()
		after(2 * time.Second)
		h.write("store.go", goSrc("B"))
		h.s.Changed(CauseDidSave, filepath.Join(h.dir, "store.go")) // the fake watcher echoes it as a batch too
		synctest.Wait()
		if e, ok := h.events.last(KindBuildStart); !ok || e.Cause != "editor save" || h.builder.count() != 2 {
			t.Fatalf("build_start = %+v, builds %d; want the save built at once", e, h.builder.count())
		}
		after(2 * time.Second)
		if h.builder.count() != 2 || h.runner.started() != 2 {
			t.Fatalf("builds %d, started %d; want one build and one version for the save", h.builder.count(), h.runner.started())
		}
	})
}

// TestFirstBuildDuringGraphLoad: the first build of a main that imports
// Gin starts before the graph has loaded, and the target adopts it.
func TestFirstBuildDuringGraphLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) { h.loadTime = time.Second })
		h.write("cmd/api/main.go", "package main\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc main() { gin.Default().Run() }\n")
		h.run()
		after(time.Second + 100*time.Millisecond)
		if st := h.status(); st.State != StateRunning || h.builder.count() != 1 {
			t.Fatalf("status = %+v after the load and one build time, builds %d; want running from the build started during the load", st, h.builder.count())
		}
		if e, _ := h.events.last(KindBuildStart); !strings.Contains(e.Reason, "while the package graph loaded") {
			t.Fatalf("build_start = %+v, want the adopted first build", e)
		}
	})
}

// TestSpeculationStepsAside: when ginhotd cannot build the buffers at all
// (here: the overlay cannot be written), it says so once and the save
// builds as usual.
func TestSpeculationStepsAside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			ok := builds(time.Second)
			h.builder.build = func(ctx context.Context, n int) (build.Result, error) {
				if n == 2 || n == 3 {
					return build.Result{}, fmt.Errorf("build ./cmd/api: %w: no space left on device", build.ErrOverlay)
				}
				return ok(ctx, n)
			}
		})
		h.write("store.go", goSrc("v1"))
		h.run()
		after(2 * time.Second)
		h.typeText("store.go", goSrc("v2"))
		after(time.Second)
		h.typeText("store.go", goSrc("v3"))
		after(time.Second)
		var asides []Event
		for _, e := range h.events.all(KindSkip) {
			if strings.Contains(e.Reason, "stepped aside") {
				asides = append(asides, e)
			}
		}
		if len(asides) != 1 || len(h.events.all(KindBuildFail)) != 0 || len(h.events.all(KindError)) != 0 {
			t.Fatalf("events = %q, want the failure said once, as no build failure", h.events.kinds())
		}
		h.write("store.go", goSrc("v3"))
		h.report("store.go")
		after(2 * time.Second)
		if st := h.status(); st.Generation != 2 || h.builder.count() != 4 {
			t.Fatalf("status = %+v, builds %d; want the save built and served", st, h.builder.count())
		}
	})
}
