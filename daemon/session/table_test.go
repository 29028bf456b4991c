package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
)

// docRow is one row of the state table in doc.go.
type docRow struct{ from, on, to string }

// docTable reads the state table of doc.go: the lines under the
// "from  on  to" header, a line starting with spaces continuing the row
// above it.
func docTable(t *testing.T) []docRow {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var rows []docRow
	in := false
	cols := regexp.MustCompile(`^(\S+)\s{2,}(.+?)\s{2,}(.+)$`)
	for _, line := range strings.Split(string(b), "\n") {
		text, ok := strings.CutPrefix(line, "//\t")
		switch {
		case ok && strings.HasPrefix(text, "from "):
			in = true
		case !in:
		case !ok:
			return rows
		case strings.HasPrefix(text, " ") && len(rows) > 0:
			parts := strings.SplitN(strings.TrimSpace(text), "  ", 2)
			r := &rows[len(rows)-1]
			r.on += " " + strings.TrimSpace(parts[0])
			if len(parts) == 2 {
				r.to += " " + strings.TrimSpace(parts[1])
			}
		default:
			m := cols.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("doc.go state table: cannot read %q", text)
			}
			rows = append(rows, docRow{m[1], m[2], m[3]})
		}
	}
	return rows
}

// expect fails unless the only target is in state want.
func (h *harness) expect(want State) {
	h.t.Helper()
	if got := h.status(); got.State != want {
		h.t.Fatalf("state = %s, want %s (%+v)", got.State, want, got)
	}
}

// running starts the session and waits until its first version serves.
func (h *harness) running() {
	h.run()
	after(2 * time.Second)
	h.expect(StateRunning)
}

// failingBuilds makes every build after the first fail, with err if set.
func failingBuilds(err error) func(context.Context, int) (build.Result, error) {
	return func(ctx context.Context, n int) (build.Result, error) {
		if n == 1 {
			return builds(time.Second)(ctx, n)
		}
		time.Sleep(time.Second)
		if err != nil {
			return build.Result{}, err
		}
		return build.Result{Output: "./a.go:3:1: undefined: x", Diags: []build.Diagnostic{{Message: "undefined: x", Line: 3}}}, nil
	}
}

// slowReady makes the nth start slow to become ready, so that starting
// shows.
func slowReady(n int) func(int) script {
	return func(i int) script {
		if i == n {
			return readyAfter(time.Second)
		}
		return readyAfter(50 * time.Millisecond)
	}
}

// crashOnceThenSlow makes the first version crash a second after it
// became ready, and the next ones slow to become ready, so that crashed
// and starting show.
func crashOnceThenSlow(n int) script {
	if n == 1 {
		return crashAfter(50*time.Millisecond, time.Second)
	}
	return readyAfter(time.Second)
}

// stateRows drive each row of doc.go's state table on the fakes: they
// bring the target to the row's from state, do what the row says and
// check the state it names. They are keyed "from: on".
var stateRows = map[string]func(h *harness){
	"idle: the session starts": func(h *harness) {
		if st := (&target{}).state(); st != StateIdle {
			h.t.Fatalf("a new target is %s, want idle", st)
		}
		h.run()
		after(10 * time.Millisecond)
		first := h.events.all(KindStatus)[0].Status.Targets[0].State
		if first != StateBuilding {
			h.t.Fatalf("first status = %s, want building", first)
		}
	},
	"running: a change needs a build": func(h *harness) {
		h.running()
		h.save("a.go")
		after(10 * time.Millisecond)
		h.expect(StateBuilding)
	},
	"building: build ok": func(h *harness) {
		h.runner.script = slowReady(2)
		h.running()
		h.save("a.go")
		after(time.Second + 10*time.Millisecond)
		h.expect(StateStarting)
	},
	"building: build failed": func(h *harness) {
		h.builder.build = failingBuilds(nil)
		h.running()
		h.save("a.go")
		after(time.Second + 10*time.Millisecond)
		h.expect(StateFailed)
	},
	"building: go missing": func(h *harness) {
		h.builder.build = failingBuilds(build.ErrGoNotFound)
		h.running()
		h.save("a.go")
		after(time.Second + 10*time.Millisecond)
		h.expect(StateFailed)
		if e, ok := h.events.last(KindError); !ok || !strings.Contains(e.Message, "go command is not in PATH") {
			h.t.Fatalf("error event = %+v, want what to install", e)
		}
	},
	"building: a generate step before it fails": func(h *harness) {
		h.steps.run = func(n int, _ build.StepOptions) (build.StepResult, error) {
			if n == 1 {
				return build.StepResult{OK: true}, nil
			}
			return build.StepResult{Output: "make: *** [assets] Error 1"}, nil
		}
		h.s.cfg.Generate = []config.Generate{{Run: "make assets"}}
		h.running()
		h.save("a.go")
		after(10 * time.Millisecond)
		h.expect(StateFailed)
	},
	"building: the user stops the target": func(h *harness) {
		h.running()
		h.save("a.go")
		after(10 * time.Millisecond)
		h.expect(StateBuilding)
		if err := h.s.Do(CmdStop, ""); err != nil {
			h.t.Fatal(err)
		}
		h.expect(StateStopped)
		after(2 * time.Second)
		h.expect(StateStopped) // the cancelled build starts nothing
	},
	"running: the user stops the target": func(h *harness) {
		h.running()
		if err := h.s.Do(CmdStop, ""); err != nil {
			h.t.Fatal(err)
		}
		h.expect(StateStopped)
		after(time.Second)
		if !h.runner.proc(1).wasStopped() {
			h.t.Fatal("the version still runs")
		}
	},
	"starting: the new version is ready": func(h *harness) {
		h.runner.script = slowReady(2)
		h.running()
		h.save("a.go")
		after(time.Second + 10*time.Millisecond)
		h.expect(StateStarting)
		after(time.Second)
		h.expect(StateRunning)
	},
	"starting: the new version exits or never listens": func(h *harness) {
		h.runner.script = func(n int) script {
			if n == 2 {
				return func(p *fakeProc) { p.exit(errors.New("exit status 1"), []string{"boom"}) }
			}
			return readyAfter(50 * time.Millisecond)
		}
		h.running()
		h.save("a.go")
		after(time.Second + 10*time.Millisecond)
		h.expect(StateFailed) // the old version serves
		h.s.Do(CmdStop, "")
		h.runner.script = func(int) script {
			return func(p *fakeProc) { p.exit(errors.New("exit status 1"), nil) }
		}
		h.s.Do(CmdStart, "")
		after(10 * time.Millisecond)
		h.expect(StateCrashed) // nothing serves
	},
	"running: the serving version exits": func(h *harness) {
		h.runner.script = crashOnceThenSlow
		h.running()
		after(60 * time.Millisecond) // it crashes 1s after it became ready
		h.expect(StateCrashed)
	},
	"crashed: the backoff runs out": func(h *harness) {
		h.runner.script = crashOnceThenSlow
		h.running()
		after(60 * time.Millisecond)
		h.expect(StateCrashed)
		after(run0Backoff)
		h.expect(StateStarting)
	},
	"running: a template or env file changes": func(h *harness) {
		h.runner.script = slowReady(2)
		h.running()
		h.save("views/index.tmpl")
		after(10 * time.Millisecond)
		h.expect(StateStarting)
		if h.builder.count() != 1 {
			h.t.Fatalf("%d builds, want none for a template", h.builder.count()-1)
		}
	},
	"stopped: the user starts the target": func(h *harness) {
		h.runner.script = slowReady(2)
		h.running()
		h.s.Do(CmdStop, "")
		h.expect(StateStopped)
		h.s.Do(CmdStart, "")
		h.expect(StateStarting)
	},
	"running: its main package is gone": func(h *harness) {
		h.running()
		if err := os.RemoveAll(filepath.Join(h.dir, "cmd/api")); err != nil {
			h.t.Fatal(err)
		}
		h.setMains(nil)
		h.report("cmd/api/main.go")
		after(10 * time.Millisecond)
		h.expect(StateStopped)
	},
	"stopped: its main package is back": func(h *harness) {
		h.running()
		h.setMains(nil)
		os.RemoveAll(filepath.Join(h.dir, "cmd/api"))
		h.report("cmd/api/main.go")
		after(10 * time.Millisecond)
		h.expect(StateStopped)
		h.setMains(nil, h.main("api"))
		h.addMain("api")
		after(10 * time.Millisecond)
		h.expect(StateBuilding)
	},
}

// run0Backoff is the first crash restart delay (run.Backoff), plus a
// little.
const run0Backoff = 210 * time.Millisecond

// TestStateTable drives every row of doc.go's state table, and fails when
// a row has no driver or a driver no row: the table stays true to the code.
func TestStateTable(t *testing.T) {
	rows := docTable(t)
	if len(rows) < 10 {
		t.Fatalf("read %d rows from doc.go's state table", len(rows))
	}
	var ons []string
	for _, r := range rows {
		key := r.from + ": " + r.on
		ons = append(ons, key)
		drive, ok := stateRows[key]
		if !ok {
			t.Errorf("doc.go row %q has no driver in stateRows", key)
			continue
		}
		t.Run(r.from+" → "+strings.TrimRight(strings.Fields(r.to)[0], ",")+": "+r.on, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, nil)
				drive(h)
			})
		})
	}
	for on := range stateRows {
		if !slices.Contains(ons, on) {
			t.Errorf("stateRows drives %q, which doc.go's table lacks", on)
		}
	}
}
