package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/guard"
	"github.com/ginhotd/ginhotd/daemon/proxy"
	"github.com/ginhotd/ginhotd/daemon/run"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// ErrNotRunning is returned by [Session.Do] when the session's loop is not
// running.
var ErrNotRunning = errors.New("session: not running")

// Session runs one workspace: see the package documentation.
type Session struct {
	cfg config.Config
	n   Notifier

	emitMu sync.Mutex // serialises calls to n and writes to logFile

	graph   atomic.Pointer[analysis.Graph]
	watcher atomic.Pointer[watch.Watcher]
	causes  sync.Map // path → Cause given by Changed, until its batch comes

	statusMu sync.Mutex
	status   Status

	calls    chan func()   // work posted to the loop by other goroutines
	reqs     chan request  // commands from Do
	stopping chan struct{} // closed when the loop has ended

	// Owned by the loop goroutine.
	base     context.Context
	targets  []*target
	procs    sync.WaitGroup // stops in flight
	cacheDir string
	logFile  *os.File
	guard    *guard.Guard // kills builds and apps if the daemon dies; nil if unavailable
	reload   bool         // a graph reload is running
}

type request struct {
	cmd    Command
	target string
	reply  chan error
}

// New returns a session for cfg that reports to n. Nothing starts before Run.
func New(cfg config.Config, n Notifier) *Session {
	return &Session{
		cfg:      cfg,
		n:        n,
		calls:    make(chan func()),
		reqs:     make(chan request),
		stopping: make(chan struct{}),
	}
}

// Run loads the package graph, builds and starts every target, and then
// reacts to changes until ctx is done; it stops every app before returning.
// It returns early with an error when the workspace cannot be run (not a Go
// module, no Gin main package, go missing, the address is taken).
func (s *Session) Run(ctx context.Context) error {
	s.base = ctx
	if err := s.open(ctx); err != nil {
		s.close()
		return err
	}
	defer s.close()
	g := s.graph.Load()
	w, err := watch.New(watch.Options{
		Roots:      append([]string{s.cfg.Dir}, g.Roots()...),
		Debounce:   s.cfg.Debounce.D(),
		Poll:       s.cfg.Poll.D(),
		Exclude:    s.cfg.Exclude,
		IgnoreDirs: []string{s.cacheDir},
		Logf:       func(f string, a ...any) { s.emit(Event{Kind: KindWarn, Message: fmt.Sprintf(f, a...)}) },
	})
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	s.watcher.Store(w)
	defer w.Close()

	for _, t := range s.targets {
		s.startBuild(t, CauseStart, "first build")
	}
	s.publishStatus()
	for {
		select {
		case b, ok := <-w.Batches():
			if !ok {
				return errors.New("session: file watcher stopped")
			}
			s.onBatch(b)
		case f := <-s.calls:
			f()
		case r := <-s.reqs:
			r.reply <- s.do(r.cmd, r.target)
		case <-ctx.Done():
			return nil
		}
		s.publishStatus()
	}
}

// open loads the graph and claims the public addresses.
func (s *Session) open(ctx context.Context) error {
	var gerr error
	warn := func(f string, a ...any) { s.emit(Event{Kind: KindWarn, Message: fmt.Sprintf(f, a...)}) }
	if s.guard, gerr = guard.Start(warn); gerr != nil {
		warn("%v: builds and apps may outlive a killed daemon", gerr)
	}
	sum := sha256.Sum256([]byte(s.cfg.Dir))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	s.cacheDir = filepath.Join(cache, "ginhotd", hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(filepath.Join(s.cacheDir, "bin"), 0o755); err != nil {
		return fmt.Errorf("session: cache dir: %w", err)
	}
	if err := build.Prune(filepath.Join(s.cacheDir, "bin")); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if s.logFile, err = os.Create(filepath.Join(s.cacheDir, "app.log")); err != nil {
		return fmt.Errorf("session: log file: %w", err)
	}
	start := time.Now()
	g, err := analysis.Load(ctx, s.analysisOptions())
	if err != nil {
		return err
	}
	s.graph.Store(g)
	s.emit(Event{Kind: KindSkip, MS: time.Since(start).Milliseconds(), Reason: fmt.Sprintf("package graph loaded: %d target(s)", len(g.Targets()))})
	host, port, err := splitAddr(s.cfg.Addr)
	if err != nil {
		return err
	}
	for i, at := range g.Targets() {
		t := &target{t: at, state: StateIdle, procs: map[*run.Process]bool{}}
		p := port
		if p != 0 {
			p += i
		}
		if err := s.listen(t, net.JoinHostPort(host, fmt.Sprint(p))); err != nil {
			return err
		}
		s.targets = append(s.targets, t)
	}
	return nil
}

func (s *Session) analysisOptions() analysis.Options {
	return analysis.Options{
		Dir:          s.cfg.Dir,
		Targets:      s.cfg.Targets,
		RestartGlobs: s.cfg.Restart,
		Tags:         s.cfg.Tags,
		Env:          s.cfg.BuildEnv,
	}
}

// close stops every app and releases the addresses. It runs on the loop
// goroutine after the loop has ended.
func (s *Session) close() {
	close(s.stopping)
	for _, t := range s.targets {
		if t.cancelBuild != nil {
			t.cancelBuild()
		}
		for p := range t.procs {
			s.stopProc(t, p)
		}
	}
	s.procs.Wait()
	_ = s.guard.Close()
	for _, t := range s.targets {
		if t.proxy != nil {
			t.proxy.Close()
		}
		if t.srv != nil {
			_ = t.srv.Close()
		}
		if t.sock != nil {
			_ = t.sock.Close()
		}
		t.state = StateStopped
		t.pid = 0
	}
	s.publishStatus()
	if s.logFile != nil {
		s.emitMu.Lock()
		_ = s.logFile.Close()
		s.logFile = nil
		s.emitMu.Unlock()
	}
}

// post runs f on the loop goroutine and reports whether it did; it gives up
// once the loop has ended.
func (s *Session) post(f func()) bool {
	select {
	case s.calls <- f:
		return true
	case <-s.stopping:
		return false
	}
}

// emit sends e to the notifier, stamped with the time.
func (s *Session) emit(e Event) {
	e.Time = time.Now()
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if e.Kind == KindLog && s.logFile != nil {
		fmt.Fprintf(s.logFile, "%s %s\n", e.Target, e.Line)
	}
	s.n.Notify(e)
}

// onBatch decides what a change set needs and acts on it.
func (s *Session) onBatch(b watch.Batch) {
	g := s.graph.Load()
	start := time.Now()
	res := g.Classify(b.Paths)
	us := time.Since(start).Microseconds()
	cause := s.causeOf(b.Paths)
	acted := false
	for i, d := range res.Decisions {
		t := s.targets[i]
		switch d.Action {
		case analysis.Rebuild:
			acted = true
			t.changeAt = start
			t.decisionUS = us
			s.startBuild(t, cause, d.Reason)
		case analysis.Restart:
			acted = true
			t.changeAt = start
			s.emit(Event{Kind: KindRestart, Target: t.t.Name, Reason: d.Reason, Cause: cause.String(), DecisionUS: us})
			if !t.stopped && t.lastGood != "" {
				s.startVersion(t, t.lastGood, cause)
			}
		}
	}
	if !acted {
		reason := "no target reaches the change"
		if len(res.Decisions) > 0 {
			reason = res.Decisions[0].Reason
		}
		s.emit(Event{Kind: KindSkip, Reason: reason, Cause: cause.String(), DecisionUS: us})
	}
	if res.Reload {
		s.reloadGraph()
	}
}

// reloadGraph loads the package graph again in the background; decisions
// keep using the old graph until the new one is in.
func (s *Session) reloadGraph() {
	if s.reload {
		return
	}
	s.reload = true
	go func() {
		g, err := analysis.Load(s.base, s.analysisOptions())
		s.post(func() {
			s.reload = false
			if err != nil {
				if s.base.Err() == nil {
					s.emit(Event{Kind: KindError, Message: fmt.Sprintf("reloading the package graph: %v (decisions use the previous graph)", err)})
				}
				return
			}
			s.graph.Store(g)
		})
	}()
}

// Changed reports paths changed by an editor (didSave, didChangeWatchedFiles).
// They join the file watcher's funnel, so a save seen by both yields one
// decision.
func (s *Session) Changed(cause Cause, paths ...string) {
	w := s.watcher.Load()
	if w == nil {
		return
	}
	for _, p := range paths {
		s.causes.Store(p, cause)
	}
	w.Notify(paths...)
}

// causeOf returns what set off a change set: the cause an editor gave for
// one of its paths, else the file watcher.
func (s *Session) causeOf(paths []string) Cause {
	cause := CauseFileChange
	for _, p := range paths {
		if c, ok := s.causes.LoadAndDelete(p); ok {
			cause = c.(Cause)
		}
	}
	return cause
}

// Do runs a user command on the target named by its import path or name
// ("./cmd/api"), or on every target when target is empty.
func (s *Session) Do(cmd Command, target string) error {
	r := request{cmd: cmd, target: target, reply: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.reply
	case <-s.stopping:
		return ErrNotRunning
	}
}

func (s *Session) do(cmd Command, name string) error {
	var ts []*target
	for _, t := range s.targets {
		if name == "" || name == t.t.Name || name == t.t.Path {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return fmt.Errorf("session: no target %q (targets: %s)", name, s.targetNames())
	}
	for _, t := range ts {
		switch cmd {
		case CmdRestart:
			if t.lastGood == "" {
				s.startBuild(t, CauseManual, "restart requested, no build yet")
				continue
			}
			t.stopped = false
			s.startVersion(t, t.lastGood, CauseManual)
		case CmdRebuild:
			t.stopped = false
			s.startBuild(t, CauseManual, "rebuild requested")
		case CmdStop:
			s.stopTarget(t)
		case CmdStart:
			if !t.stopped && t.cur != nil {
				continue
			}
			t.stopped = false
			if t.lastGood != "" {
				s.startVersion(t, t.lastGood, CauseManual)
			} else {
				s.startBuild(t, CauseManual, "start requested")
			}
		default:
			return fmt.Errorf("session: unknown command %q", cmd)
		}
	}
	return nil
}

func (s *Session) targetNames() string {
	var names []string
	for _, t := range s.targets {
		names = append(names, t.t.Name)
	}
	return fmt.Sprint(names)
}

// Status returns the current status.
func (s *Session) Status() Status {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	st := s.status
	st.Targets = append([]TargetStatus(nil), st.Targets...)
	return st
}

// publishStatus recomputes the status and emits it when it changed.
func (s *Session) publishStatus() {
	st := Status{State: StateIdle, Root: s.cfg.Dir, Targets: []TargetStatus{}}
	if s.logFile != nil {
		st.LogFile = s.logFile.Name()
	}
	for _, t := range s.targets {
		ts := TargetStatus{
			Package:    t.t.Path,
			Name:       t.t.Name,
			State:      t.state,
			PID:        t.pid,
			URL:        t.url,
			Generation: t.gen,
			BuildMs:    t.buildMs,
			Error:      t.err,
		}
		st.Targets = append(st.Targets, ts)
		if rank(ts.State) > rank(st.State) {
			st.State = ts.State
		}
	}
	s.statusMu.Lock()
	same := reflect.DeepEqual(st, s.status)
	s.status = st
	s.statusMu.Unlock()
	if !same {
		c := st
		s.emit(Event{Kind: KindStatus, Status: &c})
	}
}

// rank orders states so that the session's state is its most pressing
// target's.
func rank(s State) int {
	switch s {
	case StateBuilding:
		return 6
	case StateStarting:
		return 5
	case StateFailed:
		return 4
	case StateCrashed:
		return 3
	case StateRunning:
		return 2
	case StateStopped:
		return 1
	}
	return 0
}

// Explain says what a change to path would do, and why.
func (s *Session) Explain(path string) (Explanation, error) {
	g := s.graph.Load()
	if g == nil {
		return Explanation{}, errors.New("session: the package graph is not loaded yet")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Explanation{}, fmt.Errorf("session: %w", err)
	}
	res := g.Classify([]string{abs})
	x := Explanation{Decision: res.Action().String(), Targets: []string{}, Reason: g.Explain(abs)}
	for _, d := range res.Decisions {
		if d.Action != analysis.None {
			x.Targets = append(x.Targets, d.Target.Name)
		}
	}
	return x, nil
}

// listen claims the public address of t according to the mode.
func (s *Session) listen(t *target, addr string) error {
	if !s.cfg.Proxy && !s.cfg.SocketActivation {
		// The app binds the address itself; port 0 means any free port,
		// chosen now so that every version gets the same one.
		if host, port, err := net.SplitHostPort(addr); err == nil && port == "0" {
			p, err := freePort()
			if err != nil {
				return err
			}
			addr = net.JoinHostPort(host, p)
		}
		t.addr = addr
		t.url = "http://" + addr
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("session: listen on %s: %w (is another ginhotd or the app itself running? pick another with --addr)", addr, err)
	}
	t.addr = ln.Addr().String()
	t.url = "http://" + t.addr
	if s.cfg.SocketActivation {
		f, err := ln.(*net.TCPListener).File()
		_ = ln.Close()
		if err != nil {
			return fmt.Errorf("session: socket activation: %w", err)
		}
		t.sock = f
		return nil
	}
	t.proxy = proxy.New(proxy.Options{
		HoldTimeout: s.cfg.HoldTimeout.D(),
		LiveReload:  s.cfg.LiveReload,
	})
	t.srv = &http.Server{Handler: t.proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return nil
}

func splitAddr(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("session: addr %q: %w", addr, err)
	}
	var port int
	if _, err := fmt.Sscan(ps, &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("session: addr %q: bad port", addr)
	}
	return host, port, nil
}

// buildOptions returns the build settings for the session.
func (s *Session) buildOptions() build.Options {
	return build.Options{
		Dir:     s.cfg.Dir,
		OutDir:  filepath.Join(s.cacheDir, "bin"),
		Flags:   s.cfg.BuildFlags,
		Tags:    s.cfg.Tags,
		LDFlags: s.cfg.LDFlags,
		Strip:   s.cfg.Strip,
		Env:     s.cfg.BuildEnv,
		OnStart: s.guard.Add,
		OnExit:  s.guard.Remove,
	}
}
