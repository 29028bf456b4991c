package session

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// templStep is a [[generate]] step like the one `ginhotd init` writes for
// templ.
var templStep = config.Generate{Run: "templ generate", Inputs: []string{"**/*.templ"}, Outputs: []string{"**/*_templ.go"}, Timeout: config.Duration(time.Minute)}

// These tests drive the generate steps and env files on the fakes of
// fakes_test.go.

func TestStepsRunBeforeFirstBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Generate = []config.Generate{templStep}
		h.run()
		after(2 * time.Second)
		if got, want := h.events.kinds(), "skip generate_start generate_ok build_start build_ok start ready"; got != want {
			t.Fatalf("events = %q, want %q", got, want)
		}
		if n := h.steps.count(); n != 1 {
			t.Fatalf("step runs = %d, want 1", n)
		}
		if opts := h.steps.runs[0]; !slices.Equal(opts.Args, []string{"templ", "generate"}) || opts.Dir != h.dir || opts.Timeout != time.Minute {
			t.Fatalf("step options = %+v, want templ generate in the module root with its timeout", opts)
		}
	})
}

// TestInputChangeRunsStepNotBuild: a .templ save runs the step; the build
// comes only from the files the step writes, which the watcher reports.
func TestInputChangeRunsStepNotBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Generate = []config.Generate{templStep}
		h.run()
		after(2 * time.Second)
		h.save("views/index.templ")
		after(time.Second)
		if n := h.steps.count(); n != 2 {
			t.Fatalf("step runs = %d, want 2", n)
		}
		if n := h.builder.count(); n != 1 {
			t.Fatalf("builds = %d, want 1 (the input itself needs no build)", n)
		}
		if e, _ := h.events.last(KindGenerateStart); e.Reason != "views/index.templ changed" || e.Step != "templ generate" {
			t.Fatalf("generate_start = %+v, want templ generate for views/index.templ", e)
		}
		if n := len(h.events.all(KindSkip)); n != 1 {
			t.Fatalf("events = %q, want no skip for the input (the step took it)", h.events.kinds())
		}
		// The generated Go the step wrote comes back as a change.
		h.write("views/index_templ.go", "package views // generated\n")
		h.watcher.batches <- watch.Batch{Paths: []string{filepath.Join(h.dir, "views/index_templ.go")}}
		after(2 * time.Second)
		if n, st := h.builder.count(), h.status(); n != 2 || st.Generation != 2 {
			t.Fatalf("builds = %d, status = %+v; want the step's output built and served", n, st)
		}
		if n := h.steps.count(); n != 2 {
			t.Fatalf("step runs = %d, want 2 (its outputs never run it)", n)
		}
	})
}

// TestStepOutputsAreDecidedAtOnce: what a step writes is decided on as
// soon as the step ends, without waiting for the watcher; the watcher's
// report of the same content then builds nothing more.
func TestStepOutputsAreDecidedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		out := filepath.Join(h.dir, "views/index_templ.go")
		h.steps.run = func(n int, _ build.StepOptions) (build.StepResult, error) {
			time.Sleep(50 * time.Millisecond)
			if n > 1 {
				h.write("views/index_templ.go", fmt.Sprintf("package views // generated %d\n", n))
			}
			time.Sleep(50 * time.Millisecond)
			return build.StepResult{OK: true}, nil
		}
		h.s.cfg.Generate = []config.Generate{templStep}
		h.run()
		after(2 * time.Second)
		h.save("views/index.templ")
		after(110 * time.Millisecond) // the step, and nothing from the watcher
		if n := h.builder.count(); n != 2 {
			t.Fatalf("builds = %d right after the step, want its output being built", n)
		}
		h.watcher.batches <- watch.Batch{Paths: []string{out}}
		after(2 * time.Second)
		if n, st := h.builder.count(), h.status(); n != 2 || st.Generation != 2 {
			t.Fatalf("builds = %d, status = %+v; want one build of the output, served", n, st)
		}
	})
}

// TestFailingStepKeepsOldVersion: a step's errors are published at the
// input's line, the overlay shows them, and the old version keeps serving.
func TestFailingStepKeepsOldVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var file string
		h := newHarness(t, func(h *harness) {
			file = filepath.Join(h.dir, "views/index.templ")
			h.steps.run = func(n int, opts build.StepOptions) (build.StepResult, error) {
				if n != 2 {
					return stepsOK(n, opts)
				}
				d := build.Diagnostic{File: file, Line: 4, Col: 13, Message: "string expression: missing close brace", Kind: build.KindGenerate}
				return build.StepResult{Diags: []build.Diagnostic{d}, Output: "(✗) Error: parsing error"}, nil
			}
		})
		h.s.cfg.Generate = []config.Generate{templStep}
		h.run()
		after(2 * time.Second)
		h.save("views/index.templ")
		after(time.Second)
		e, ok := h.events.last(KindGenerateFail)
		if !ok || !e.Serving || e.Generation != 1 || len(e.Diagnostics) != 1 {
			t.Fatalf("generate_fail = %+v, want generation 1 serving and one diagnostic", e)
		}
		d, _ := h.events.last(KindDiagnostics)
		if len(d.Diagnostics) != 1 || d.Diagnostics[0].File != file || d.Diagnostics[0].Line != 4 {
			t.Fatalf("diagnostics = %+v, want the error at index.templ:4", d.Diagnostics)
		}
		if _, _, fails := h.router.get(); len(fails) != 1 || !strings.Contains(fails[0], "templ generate failed") {
			t.Fatalf("proxy fails = %q, want the step's output for the overlay", fails)
		}
		if st := h.status(); st.State != StateRunning || st.PID != 1001 || h.runner.proc(1).wasStopped() {
			t.Fatalf("status = %+v, want pid 1001 still serving", st)
		}
		h.save("views/index.templ") // fixed
		after(time.Second)
		if d, _ := h.events.last(KindDiagnostics); len(d.Diagnostics) != 0 {
			t.Fatalf("diagnostics after the fix = %+v, want none", d.Diagnostics)
		}
	})
}

// TestStepRewritingItsInputIsALoop: a step whose run changes its own input
// is reported once and not run again for that change.
func TestStepRewritingItsInputIsALoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var input string
		h := newHarness(t, func(h *harness) {
			input = filepath.Join(h.dir, "views/index.templ")
			if err := os.MkdirAll(filepath.Dir(input), 0o755); err != nil {
				t.Fatal(err)
			}
			h.steps.run = func(n int, opts build.StepOptions) (build.StepResult, error) {
				time.Sleep(100 * time.Millisecond)
				if err := os.WriteFile(input, []byte("stamp "+time.Now().String()), 0o644); err != nil {
					t.Error(err)
				}
				now := time.Now() // the bubble's clock, which the step runs on
				if err := os.Chtimes(input, now, now); err != nil {
					t.Error(err)
				}
				time.Sleep(100 * time.Millisecond)
				return build.StepResult{OK: true}, nil
			}
		})
		h.s.cfg.Generate = []config.Generate{{Run: "stamp", Inputs: []string{"**/*.templ"}}}
		h.run()
		after(2 * time.Second)
		h.watcher.batches <- watch.Batch{Paths: []string{input}} // the first run's write
		after(time.Second)
		if n := h.steps.count(); n != 1 {
			t.Fatalf("step runs = %d, want 1 (no loop)", n)
		}
		w, ok := h.events.last(KindWarn)
		if !ok || !strings.Contains(w.Message, "rewrote its own input views/index.templ (a loop)") {
			t.Fatalf("warn = %+v, want the loop reported", w)
		}
	})
}

// TestPreStepRunsBeforeEveryBuild: a step without inputs (air's pre_cmd)
// runs before each build; when it fails, nothing is built.
func TestPreStepRunsBeforeEveryBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, func(h *harness) {
			h.steps.run = func(n int, opts build.StepOptions) (build.StepResult, error) {
				if n == 3 {
					return build.StepResult{Diags: []build.Diagnostic{{Message: "pre failed", Kind: build.KindGenerate}}, Output: "pre failed"}, nil
				}
				return stepsOK(n, opts)
			}
		})
		h.s.cfg.Generate = []config.Generate{{Run: "make assets"}}
		h.run()
		after(2 * time.Second)
		h.save("a.go")
		after(2 * time.Second)
		if s, b := h.steps.count(), h.builder.count(); s != 2 || b != 2 {
			t.Fatalf("step runs = %d, builds = %d; want 2 and 2", s, b)
		}
		h.save("a.go")
		after(2 * time.Second)
		if s, b := h.steps.count(), h.builder.count(); s != 3 || b != 2 {
			t.Fatalf("step runs = %d, builds = %d; want 3 and 2 (a failed step stops the build)", s, b)
		}
		if e, ok := h.events.last(KindGenerateFail); !ok || !e.Serving || e.Generation != 2 {
			t.Fatalf("generate_fail = %+v, want generation 2 serving", e)
		}
		if st := h.status(); st.State != StateFailed || st.PID != 1002 {
			t.Fatalf("status = %+v, want failed with pid 1002 serving", st)
		}
	})
}

// TestEnvFiles: the files' variables reach the app, the env setting wins,
// an edit restarts without a build, and a broken file keeps the app.
func TestEnvFiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		env := filepath.Join(h.dir, ".env")
		write := func(s string) {
			if err := os.WriteFile(env, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("GREETING=hello\nMODE=files\n")
		h.s.cfg.EnvFiles = []string{".env"}
		h.s.cfg.Env = []string{"MODE=setting"}
		h.run()
		after(2 * time.Second)
		p := h.runner.proc(1)
		if !slices.Contains(p.spec.Env, "GREETING=hello") || slices.Index(p.spec.Env, "MODE=files") > slices.Index(p.spec.Env, "MODE=setting") {
			t.Fatalf("app env = %q, want GREETING from .env and MODE from env winning", p.spec.Env)
		}
		write("GREETING=bonjour\n")
		h.watcher.batches <- watch.Batch{Paths: []string{env}}
		after(time.Second)
		if h.runner.started() != 2 || h.builder.count() != 1 || !slices.Contains(h.runner.proc(2).spec.Env, "GREETING=bonjour") {
			t.Fatalf("started %d, builds %d; want a restart with the new value and no build", h.runner.started(), h.builder.count())
		}
		write("GREETING='unclosed\n")
		h.watcher.batches <- watch.Batch{Paths: []string{env}}
		after(time.Second)
		w, ok := h.events.last(KindWarn)
		if !ok || !strings.Contains(w.Message, ".env:1") {
			t.Fatalf("warn = %+v, want the file and line", w)
		}
		if h.runner.started() != 2 || h.runner.proc(2).wasStopped() {
			t.Fatal("a broken env file must leave the running app alone")
		}
	})
}

// TestGoGenerate: with go_generate, a change to a package with
// //go:generate lines runs go generate there before the build.
func TestGoGenerate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		pkg := filepath.Join(h.dir, "internal/kind")
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(pkg, "kind.go")
		if err := os.WriteFile(src, []byte("package kind\n\n//go:generate stringer -type=Kind\ntype Kind int\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		h.s.cfg.GoGenerate = true
		h.run()
		after(2 * time.Second)
		h.write("internal/kind/kind.go", "package kind\n\n//go:generate stringer -type=Kind\ntype Kind uint8\n")
		h.report("internal/kind/kind.go")
		after(2 * time.Second)
		if h.steps.count() != 1 || h.steps.runs[0].Dir != pkg || !slices.Equal(h.steps.runs[0].Args, []string{"go", "generate", "."}) {
			t.Fatalf("step runs = %+v, want go generate in %s", h.steps.runs, pkg)
		}
		if got, want := h.events.kinds(), "skip build_start build_ok start ready generate_start generate_ok build_start build_ok start ready stop"; got != want {
			t.Fatalf("events = %q, want %q", got, want)
		}
	})
}

// TestFirstStepOutputBuildsOnce: the files the steps write before the first
// build are in that build; the watcher's later report of them builds
// nothing more.
func TestFirstStepOutputBuildsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		out := filepath.Join(h.dir, "views/index_templ.go")
		h.steps.run = func(int, build.StepOptions) (build.StepResult, error) {
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(out, []byte("package views\n"), 0o644); err != nil {
				t.Error(err)
			}
			return build.StepResult{OK: true}, nil
		}
		h.s.cfg.Generate = []config.Generate{templStep}
		h.run()
		after(500 * time.Millisecond) // the first build is running
		h.watcher.batches <- watch.Batch{Paths: []string{out}}
		after(2 * time.Second)
		if n := h.builder.count(); n != 1 {
			t.Fatalf("builds = %d, want 1 (the output was in the first build)", n)
		}
		if st := h.status(); st.State != StateRunning || st.Generation != 1 {
			t.Fatalf("status = %+v, want running generation 1", st)
		}
	})
}

// TestScriptStepInputStillRestarts: a template that is the input of a
// script step (air's `yarn build:css && go build` with html watched) runs
// the step and then restarts the app, as air's rebuild did.
func TestScriptStepInputStillRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		h.s.cfg.Generate = []config.Generate{{Run: "yarn build:css:dev", Inputs: []string{"**/*.tmpl"}}}
		h.s.cfg.Restart = []string{"**/*.tmpl"}
		h.running()
		starts := h.runner.started()
		h.save("views/index.tmpl")
		after(time.Second)
		if n := h.steps.count(); n != 2 {
			t.Fatalf("step runs = %d, want the template to run the script", n)
		}
		if h.runner.started() != starts+1 || h.builder.count() != 1 {
			t.Fatalf("starts %d → %d, builds %d: want one restart after the step, no build", starts, h.runner.started(), h.builder.count())
		}
		restart, _ := h.events.last(KindRestart)
		gen, _ := h.events.last(KindGenerateOK)
		if restart.Time.Before(gen.Time) {
			t.Fatalf("the app restarted at %v, before the step ended at %v", restart.Time, gen.Time)
		}
	})
}
