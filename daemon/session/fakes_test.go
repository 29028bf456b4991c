package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/guard"
	"github.com/ginhotd/ginhotd/daemon/proxy"
	"github.com/ginhotd/ginhotd/daemon/run"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// The fakes below stand in for the leaves, so that the state machine runs
// inside a testing/synctest bubble: no go, no processes, no sockets, and time
// that passes only when every goroutine waits.

// fakeGraph has the targets the test gives it (./cmd/api by default). A
// .go path inside a target's directory rebuilds that target, any other .go
// path every target, a .tmpl path restarts them, anything else needs
// nothing. A main.go in a directory no target has, or a path in a target
// directory that is gone, means the graph is out of date (Reload), as a
// main package appearing or disappearing does.
type fakeGraph struct {
	targets []analysis.Target
	missing []string
	inputs  []string // every file of the workspace when the graph loaded
}

func newFakeGraph(targets []analysis.Target, dir string) *fakeGraph {
	g := &fakeGraph{targets: targets}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			g.inputs = append(g.inputs, p)
		}
		return nil
	})
	return g
}

func (g fakeGraph) Inputs(string) []string { return g.inputs }

func (g fakeGraph) Targets() []analysis.Target { return slices.Clone(g.targets) }
func (g fakeGraph) Missing() []string          { return g.missing }
func (g fakeGraph) Roots() []string            { return nil }
func (g fakeGraph) Explain(string) string      { return "" }
func (g fakeGraph) Notice() string             { return "" }
func (g fakeGraph) Modules() []string          { return []string{"example.com/app"} }

func (g fakeGraph) Classify(paths []string) analysis.Result {
	var res analysis.Result
	for _, t := range g.targets {
		d := analysis.Decision{Target: t, Action: analysis.None, Reason: "nothing imports it"}
		for _, p := range paths {
			inside := filepath.Dir(p) == t.Dir
			switch {
			case filepath.Ext(p) == ".go" && (inside || !g.inTarget(p)):
				d.Action, d.Reason = analysis.Rebuild, t.Name+" ("+filepath.Base(p)+" changed)"
			case filepath.Ext(p) == ".tmpl" && d.Action == analysis.None:
				d.Action, d.Reason = analysis.Restart, "template"
			}
		}
		res.Decisions = append(res.Decisions, d)
	}
	for _, p := range paths {
		if filepath.Base(p) == "main.go" && !g.inTarget(p) {
			res.Reload = true
		}
		if _, err := os.Stat(filepath.Dir(p)); err != nil {
			res.Reload = true
		}
	}
	return res
}

// inTarget reports whether p lies in the directory of one of g's targets.
func (g fakeGraph) inTarget(p string) bool {
	return slices.ContainsFunc(g.targets, func(t analysis.Target) bool { return filepath.Dir(p) == t.Dir })
}

// fakeWatcher delivers what the test (or Notify) puts in batches.
type fakeWatcher struct{ batches chan watch.Batch }

func (w *fakeWatcher) Batches() <-chan watch.Batch { return w.batches }
func (w *fakeWatcher) Close() error                { return nil }
func (w *fakeWatcher) SetInterest(_, _ []string)   {}
func (w *fakeWatcher) Mode() string                { return "" }

func (w *fakeWatcher) Notify(tag string, paths ...string) {
	b := watch.Batch{Paths: paths, Tags: map[string]string{}}
	for _, p := range paths {
		b.Tags[p] = tag
	}
	w.batches <- b
}

// fakeBuilder builds by calling the test's function; it counts builds and
// keeps their options. A debug build's binary lies in its OutDir, as a
// real one does (the session tells debug binaries by their directory).
type fakeBuilder struct {
	mu    sync.Mutex
	n     int
	opts  []build.Options
	pkgs  []string // the target of each build
	build func(ctx context.Context, n int) (build.Result, error)
}

func (b *fakeBuilder) Build(ctx context.Context, opts build.Options, pkg string) (build.Result, error) {
	b.mu.Lock()
	b.n++
	b.opts = append(b.opts, opts)
	b.pkgs = append(b.pkgs, pkg)
	n, f := b.n, b.build
	b.mu.Unlock()
	res, err := f(ctx, n)
	if opts.Debug && res.Binary != "" {
		res.Binary = filepath.Join(opts.OutDir, res.Binary)
	}
	return res, err
}

// options returns the options of the nth build (1-based).
func (b *fakeBuilder) options(n int) build.Options {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opts[n-1]
}

func (b *fakeBuilder) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// builds returns a build function that succeeds after d with binary
// "bin-N" for the Nth build, ignoring cancellation, as a go build that is
// already linking may.
func builds(d time.Duration) func(context.Context, int) (build.Result, error) {
	return func(_ context.Context, n int) (build.Result, error) {
		time.Sleep(d)
		return build.Result{OK: true, Binary: fmt.Sprintf("bin-%d", n), Duration: d}, nil
	}
}

// fakeSteps runs generator steps by calling the test's function; it
// records each run's options.
type fakeSteps struct {
	mu   sync.Mutex
	runs []build.StepOptions
	run  func(n int, opts build.StepOptions) (build.StepResult, error)
}

func (f *fakeSteps) Run(_ context.Context, opts build.StepOptions) (build.StepResult, error) {
	f.mu.Lock()
	f.runs = append(f.runs, opts)
	n, run := len(f.runs), f.run
	f.mu.Unlock()
	return run(n, opts)
}

func (f *fakeSteps) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

// stepsOK is a step function that succeeds after 100ms.
func stepsOK(int, build.StepOptions) (build.StepResult, error) {
	time.Sleep(100 * time.Millisecond)
	return build.StepResult{OK: true, Duration: 100 * time.Millisecond}, nil
}

// fakeProc is a version's process, driven by its script. Started under
// Delve (spec.Debug), it has a debug address and an app pid of its own,
// and its debugger state is what the test sets.
type fakeProc struct {
	pid       int
	appPID    int
	debugAddr string
	spec      run.Spec
	readyc    chan struct{}
	exited    chan struct{}

	mu      sync.Mutex
	err     error
	tail    []string
	stopped bool // stopped by the session
	dbg     run.DebugState
	once    sync.Once
}

func (p *fakeProc) PID() int                { return p.pid }
func (p *fakeProc) AppPID() int             { return p.appPID }
func (p *fakeProc) DebugAddr() string       { return p.debugAddr }
func (p *fakeProc) Exited() <-chan struct{} { return p.exited }

func (p *fakeProc) DebugState(context.Context) (run.DebugState, error) {
	if p.debugAddr == "" {
		return run.DebugState{}, errors.New("not started under Delve")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dbg, nil
}

// setDebug sets what Delve says about p.
func (p *fakeProc) setDebug(st run.DebugState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dbg = st
}

func (p *fakeProc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *fakeProc) Tail() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.tail)
}

func (p *fakeProc) Stop() error {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.exit(errors.New("signal: terminated"), nil)
	return nil
}

func (p *fakeProc) wasStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

func (p *fakeProc) exit(err error, tail []string) {
	p.once.Do(func() {
		p.mu.Lock()
		p.err, p.tail = err, append(p.tail, tail...)
		p.mu.Unlock()
		close(p.exited)
	})
}

// script is what a started process does; it runs on its own goroutine and
// must return once p has exited.
type script func(p *fakeProc)

// readyAfter becomes ready after d and runs until stopped.
func readyAfter(d time.Duration) script {
	return func(p *fakeProc) {
		select {
		case <-time.After(d):
			close(p.readyc)
		case <-p.exited:
		}
		<-p.exited
	}
}

// crashAfter becomes ready after ready and exits with status 2 after crash.
func crashAfter(ready, crash time.Duration) script {
	return func(p *fakeProc) {
		select {
		case <-time.After(ready):
			close(p.readyc)
		case <-p.exited:
			return
		}
		select {
		case <-time.After(crash):
			p.exit(errors.New("exit status 2"), []string{"boom"})
		case <-p.exited:
		}
	}
}

// fakeRunner starts fakeProcs with the test's scripts.
type fakeRunner struct {
	mu     sync.Mutex
	procs  []*fakeProc
	script func(n int) script // script of the Nth start (1-based)
	port   int
	dlvErr error // what FindDlv fails with
}

func (r *fakeRunner) Start(spec run.Spec) (Process, error) {
	r.mu.Lock()
	n := len(r.procs) + 1
	p := &fakeProc{pid: 1000 + n, appPID: 1000 + n, spec: spec, readyc: make(chan struct{}), exited: make(chan struct{})}
	if spec.Debug != nil {
		// Delve's child; it starts halted with debug_wait.
		p.appPID, p.debugAddr = 2000+n, fmt.Sprintf("127.0.0.1:%d", 50000+n)
		p.dbg.Stopped = spec.Debug.Wait
	}
	r.procs = append(r.procs, p)
	sc := r.script(len(r.procs))
	r.mu.Unlock()
	go sc(p)
	return p, nil
}

// Ready returns the PORT a version was given, or the port its OWN_PORT
// variable names (an app that picks its own port).
func (r *fakeRunner) Ready(ctx context.Context, p Process, at readiness) (string, error) {
	fp := p.(*fakeProc)
	select {
	case <-fp.readyc:
		for _, kv := range fp.spec.Env {
			if own, ok := strings.CutPrefix(kv, "OWN_PORT="); ok {
				return own, nil
			}
		}
		return at.port, nil
	case <-fp.exited:
		return "", exitError(p, false)
	case <-ctx.Done():
		return "", &startError{msg: "the app did not listen on " + at.addr, fix: true}
	}
}

func (r *fakeRunner) FreePort() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.port++
	return fmt.Sprint(40000 + r.port), nil
}

func (r *fakeRunner) WaitPortFree(context.Context, string) error { return nil }

func (r *fakeRunner) FindDlv(context.Context) (string, error) {
	if r.dlvErr != nil {
		return "", r.dlvErr
	}
	return "/go/bin/dlv", nil
}

func (r *fakeRunner) proc(n int) *fakeProc {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n < 1 || n > len(r.procs) {
		return nil
	}
	return r.procs[n-1]
}

func (r *fakeRunner) started() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.procs)
}

// fakeRouter records what the session asks of the proxy.
type fakeRouter struct {
	mu       sync.Mutex
	switches []string // backend addresses, in order
	holds    []string
	fails    []string
	gone     []string
	drain    time.Duration
}

func (r *fakeRouter) Switch(addr string) Drainer {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.switches = append(r.switches, addr)
	if len(r.switches) == 1 {
		return nil
	}
	return fakeBackend{d: r.drain}
}

func (r *fakeRouter) Hold(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds = append(r.holds, reason)
}

func (r *fakeRouter) Fail(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, reason)
}

func (r *fakeRouter) Pause(reason string) Drainer {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds = append(r.holds, reason)
	return fakeBackend{d: r.drain}
}

func (r *fakeRouter) Gone(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = append(r.gone, reason)
}

func (r *fakeRouter) ClearFail()   {}
func (r *fakeRouter) Close() error { return nil }

func (r *fakeRouter) get() (switches, holds, fails []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.switches), slices.Clone(r.holds), slices.Clone(r.fails)
}

// fakeBackend drains in d.
type fakeBackend struct{ d time.Duration }

func (b fakeBackend) Drain(ctx context.Context) error {
	select {
	case <-time.After(b.d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recorder keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Notify(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// kinds returns the kinds of the events so far, without status, log and
// diagnostics events, joined by spaces.
func (r *recorder) kinds() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for _, e := range r.events {
		switch e.Kind {
		case KindStatus, KindLog, KindDiagnostics:
			continue
		}
		ks = append(ks, string(e.Kind))
	}
	return strings.Join(ks, " ")
}

// last returns the last event of kind k.
func (r *recorder) last(k Kind) (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Kind == k {
			return r.events[i], true
		}
	}
	return Event{}, false
}

// all returns the events of kind k.
func (r *recorder) all(k Kind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// harness runs one session on the fakes inside a synctest bubble.
type harness struct {
	t        *testing.T
	s        *Session
	events   *recorder
	watcher  *fakeWatcher
	builder  *fakeBuilder
	runner   *fakeRunner
	router   *fakeRouter
	steps    *fakeSteps
	dir      string
	cancel   context.CancelFunc
	ran      chan error
	saves    int
	loadTime time.Duration // how long the fake graph takes to load

	mu      sync.Mutex
	routers map[string]*fakeRouter // by public address; router is the first
	mains   []analysis.Target      // the targets the next graph load finds
	missing []string               // and what it says it could not find
	loads   int                    // graph loads so far
}

// newHarness starts a session whose builds take 1 s and whose versions are
// ready 50 ms after they start, unless the test changes the fakes first in
// setup.
func newHarness(t *testing.T, setup func(h *harness)) *harness {
	dir := t.TempDir()
	h := &harness{
		t:       t,
		events:  &recorder{},
		watcher: &fakeWatcher{batches: make(chan watch.Batch, 16)},
		builder: &fakeBuilder{build: builds(time.Second)},
		runner:  &fakeRunner{script: func(int) script { return readyAfter(50 * time.Millisecond) }},
		router:  &fakeRouter{drain: 10 * time.Millisecond},
		steps:   &fakeSteps{run: stepsOK},
		dir:     dir,
		ran:     make(chan error, 1),
		routers: map[string]*fakeRouter{},
	}
	h.mains = []analysis.Target{h.main("api")}
	cfg := config.Default()
	cfg.Dir = dir
	cfg.Speculate = "300ms" // the tests' timings are written for this quiet window
	if setup != nil {
		setup(h)
	}
	h.s = newSession(cfg, h.events, deps{
		load: func(context.Context, analysis.Options) (Graph, error) {
			time.Sleep(h.loadTime)
			h.mu.Lock()
			defer h.mu.Unlock()
			h.loads++
			g := newFakeGraph(slices.Clone(h.mains), dir)
			g.missing = h.missing
			return g, nil
		},
		watch:   func(watch.Options) (Watcher, error) { return h.watcher, nil },
		builder: h.builder,
		runner:  h.runner,
		steps:   h.steps,
		listen: func(addr string, _ proxy.Options) (Router, string, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			r := h.router
			if len(h.routers) > 0 {
				r = &fakeRouter{drain: h.router.drain}
			}
			h.routers[addr] = r
			if port, ok := strings.CutPrefix(addr, "0.0.0.0:"); ok {
				return r, "[::]:" + port, nil // as net.Listen reports every interface
			}
			return r, addr, nil
		},
		guard: func(func(string, ...any)) (*guard.Guard, error) { return nil, nil },
		store: func(string) (Store, error) { return &fakeStore{bins: map[string]string{}}, nil },
	})
	return h
}

// main returns the target ./cmd/name of the workspace.
func (h *harness) main(name string) analysis.Target {
	return analysis.Target{Path: "example.com/app/cmd/" + name, Dir: filepath.Join(h.dir, "cmd", name), Name: "./cmd/" + name}
}

// setMains sets the targets the next graph load finds, and what it says it
// could not find.
func (h *harness) setMains(missing []string, mains ...analysis.Target) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mains, h.missing = mains, missing
}

// graphLoads returns how many times the graph was loaded.
func (h *harness) graphLoads() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.loads
}

// run starts the session; the bubble's end stops it.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.ran <- h.s.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

// stop ends the session and waits for Run to return.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	if err := <-h.ran; err != nil {
		h.t.Errorf("Run: %v", err)
	}
}

// save reports a change of path as the editor's save.
// save writes new content to path, as an editor save does, and reports
// it.
func (h *harness) save(path string) {
	h.saves++
	h.write(path, fmt.Sprintf("save %d\n", h.saves))
	h.report(path)
}

// write writes content to path in the workspace.
func (h *harness) write(path, content string) {
	p := filepath.Join(h.dir, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// changeBatch is a watcher batch of the absolute paths.
func changeBatch(paths ...string) watch.Batch {
	return watch.Batch{Paths: paths, Tags: map[string]string{}}
}

// report sends the change of path as the watcher does, tagged as an
// editor save.
func (h *harness) report(path string) {
	p := filepath.Join(h.dir, path)
	h.watcher.batches <- watch.Batch{Paths: []string{p}, Tags: map[string]string{p: CauseDidSave.String()}}
}

// fakeStore keeps binaries where they are.
type fakeStore struct {
	mu   sync.Mutex
	bins map[string]string
}

func (s *fakeStore) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bins[key]
	return b, ok
}

func (s *fakeStore) Put(key, bin string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bins[key] = bin
	return bin, nil
}

func (s *fakeStore) Keep(...string) {}

// after lets d of fake time pass and every goroutine settle.
func after(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// status returns the status of the only target.
func (h *harness) status() TargetStatus {
	st := h.s.Status()
	if len(st.Targets) != 1 {
		h.t.Fatalf("status has %d targets, want 1", len(st.Targets))
	}
	return st.Targets[0]
}
