package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/guard"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// ErrNotRunning is returned by [Session.Do] and friends when the session's
// loop is not running.
var ErrNotRunning = errors.New("session: not running")

// Session runs one workspace: see the package documentation.
type Session struct {
	cfg  config.Config
	n    Notifier
	deps deps

	emitMu     sync.Mutex    // serialises calls to n (the loop and app output readers emit)
	logBuf     *bufio.Writer // app.log, buffered; guarded by emitMu
	logPending bool          // a flush of logBuf is scheduled; guarded by emitMu

	msgs    chan message  // results of helper goroutines → loop
	calls   chan call     // exported methods → loop
	changes chan change   // Changed → loop; buffered, never blocks the editor
	edits   chan edit     // Edited → loop; buffered, never blocks the editor
	done    chan struct{} // closed when the loop has ended
	closed  chan struct{} // closed when close has finished
	final   Status        // the status after close; read only after closed

	// Owned by the loop goroutine.
	ctx        context.Context // cancelled when the loop ends
	graph      Graph
	watcher    Watcher
	targets    map[string]*target // by import path, for the whole session
	order      []string           // their paths, in the order they came
	nextPort   int                // the port the next new target tries first (0: the kernel picks)
	missing    string             // what the graph last said it could not find
	ownPorts   map[string]string  // the ports targets listen on by themselves, as remembered (ownport.go)
	cache      *cacheDir
	logFile    *os.File
	guard      *guard.Guard // kills builds and apps if the daemon dies; nil if unavailable
	reloading  bool         // a graph reload is running
	status     Status       // the last status emitted
	diagDirty  bool         // diagnostics changed during this turn of the loop
	generators generators
	work       sync.WaitGroup
	debug      bool   // debug mode is on: builds for Delve, versions under it (debug.go)
	dlv        string // the dlv binary, found when debug mode went on

	// Content keys and speculation (speculate.go).
	bins       Store                   // binaries by content key
	storeDir   string                  // where bins keeps them
	debugBins  map[string]bool         // stored binaries built for Delve
	preparedMS map[string]int64        // content keys built speculatively → how long the build took
	specErrs   map[string]bool         // errors of speculative builds already reported
	digests    map[string]fileDigest   // file digests, dropped when a change set names the file
	handled    map[string]build.Digest // content of each changed path when last acted on
	buffers    map[string][]byte       // editor buffers that differ from disk
	quietSeq   int                     // counts edits, to match a quiet window to the last one
	quietTimer *time.Timer
	prebuilds  []*prebuild // first builds started before the graph loaded (first.go)
}

// call is a request from an exported method, answered by the loop.
type call struct {
	do    func() any
	reply chan any
}

// New returns a session for cfg that reports to n. Nothing starts before Run.
func New(cfg config.Config, n Notifier) *Session {
	return newSession(cfg, n, realDeps())
}

func newSession(cfg config.Config, n Notifier, d deps) *Session {
	return &Session{
		cfg:     cfg,
		n:       n,
		deps:    d,
		msgs:    make(chan message),
		calls:   make(chan call),
		changes: make(chan change, 256),
		targets: map[string]*target{},
		edits:   make(chan edit, 256),
		done:    make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

// Run loads the package graph, builds and starts every target, and then
// reacts to changes until ctx is done; it stops every app before returning.
// It returns early with an error when the workspace cannot be run (not a Go
// module, no Gin main package, go missing, the address is taken).
//
// Run is the loop: it alone reads and writes the session's state. Helper
// goroutines (builds, start-ups, drains, stops) report back as messages,
// handled in [Session.handle].
func (s *Session) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	s.ctx = ctx
	defer func() {
		cancel()
		s.close()
	}()
	if err := s.open(); err != nil {
		return err
	}
	s.initDebug()
	if !s.generateFirst() {
		for _, t := range s.each() {
			s.firstBuild(t)
		}
	}
	s.dropPrebuilds()
	s.settle()
	for {
		select {
		case b, ok := <-s.watcher.Batches():
			if !ok {
				return errors.New("session: file watcher stopped")
			}
			s.take(changeOf(b))
		case m := <-s.msgs:
			s.handle(m)
		case c := <-s.calls:
			c.reply <- c.do()
		case n := <-s.changes:
			s.onChanged(n)
		case e := <-s.edits:
			s.onEdit(e)
		case <-ctx.Done():
			return nil
		}
		s.settle()
	}
}

// handle dispatches one message.
func (s *Session) handle(m message) {
	switch m := m.(type) {
	case built:
		s.onBuilt(m)
	case readied:
		s.onReadied(m)
	case versionExited:
		s.onExited(m)
	case drained:
		s.retireThen(m.t, m.v, m.v.next)
	case versionStopped:
		s.onStopped(m)
	case retryDue:
		if t := m.t; m.id == t.startID && t.cur == nil && !t.stopped {
			s.startVersion(t, m.bin, CauseCrash)
		}
	case graphLoaded:
		s.onLoaded(m)
	case typingPaused:
		s.speculate(m)
	case specBuilt:
		s.onSpecBuilt(m)
	case generated:
		s.onGenerated(m)
	case launched:
		s.onLaunched(m)
	case debugWaiting:
		s.onDebugWaiting(m)
	}
}

// settle ends one turn of the loop: it publishes the status, then the
// diagnostics if they changed, so a client sees the target's state before
// the errors that explain it.
func (s *Session) settle() {
	s.publishStatus()
	if s.diagDirty {
		s.diagDirty = false
		s.publishDiagnostics()
	}
}

// open claims the cache dir, loads the graph, claims the public addresses and
// starts the watcher.
func (s *Session) open() error {
	var err error
	warn := func(f string, a ...any) { s.emit(Event{Kind: KindWarn, Message: fmt.Sprintf(f, a...)}) }
	if s.guard, err = s.deps.guard(warn); err != nil {
		warn("%v: builds and apps may outlive a killed daemon", err)
	}
	if s.cache, err = openCache(s.cfg.Dir); err != nil {
		return err
	}
	if s.logFile, err = os.Create(filepath.Join(s.cache.shared, "app.log")); err != nil {
		return fmt.Errorf("session: log file: %w", err)
	}
	s.logBuf = bufio.NewWriterSize(s.logFile, 64<<10)
	s.storeDir = filepath.Join(s.cache.bin, "store")
	if s.bins, err = s.deps.store(s.storeDir); err != nil {
		return err
	}
	s.preparedMS, s.specErrs = map[string]int64{}, map[string]bool{}
	s.debugBins, s.digests, s.handled, s.buffers = map[string]bool{}, map[string]fileDigest{}, map[string]build.Digest{}, map[string][]byte{}
	s.startPrebuilds()
	start := time.Now()
	if s.graph, err = s.deps.load(s.ctx, s.analysisOptions()); err != nil {
		return err
	}
	s.emit(Event{Kind: KindSkip, MS: time.Since(start).Milliseconds(), Reason: fmt.Sprintf("package graph loaded: %d target(s)", len(s.graph.Targets()))})
	if n := s.graph.Notice(); n != "" {
		s.emit(Event{Kind: KindWarn, Message: n})
	}
	s.loadOwnPorts()
	for _, at := range s.graph.Targets() {
		if _, err := s.addTarget(at); err != nil {
			return err
		}
	}
	s.initGenerators()
	s.watcher, err = s.deps.watch(watch.Options{
		Roots:      append([]string{s.cfg.Dir}, s.graph.Roots()...),
		Debounce:   s.cfg.Debounce.D(),
		Poll:       s.cfg.PollInterval(),
		PollOff:    s.cfg.PollOff(),
		Exclude:    s.cfg.Exclude,
		IgnoreDirs: []string{s.cache.root},
		Include:    s.watchInclude(),
		Logf:       func(f string, a ...any) { s.emit(Event{Kind: KindWarn, Message: fmt.Sprintf(f, a...)}) },
	})
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	s.setInterest()
	return nil
}

// close runs on the loop goroutine after the loop has ended: it stops every
// app, waits for every helper goroutine, releases the addresses and removes
// the session's binaries.
func (s *Session) close() {
	close(s.done) // helper goroutines and callers stop waiting for the loop
	defer close(s.closed)
	var stops sync.WaitGroup
	for _, t := range s.each() {
		if t.buildCancel != nil {
			t.buildCancel()
		}
		if t.retryTimer != nil {
			t.retryTimer.Stop()
		}
		for _, v := range t.versions {
			stops.Add(1)
			go func() {
				defer stops.Done()
				start := time.Now()
				_ = v.p.Stop()
				s.emit(Event{Kind: KindStop, Target: t.pkg.Name, PID: v.p.AppPID(), MS: time.Since(start).Milliseconds()})
			}()
		}
	}
	stops.Wait()
	if s.watcher != nil {
		_ = s.watcher.Close()
	}
	s.work.Wait()
	for _, t := range s.each() {
		if t.router != nil {
			_ = t.router.Close()
		}
		if t.sock != nil {
			_ = t.sock.Close()
		}
		t.halt()
		t.versions, t.stopped = nil, true
	}
	s.publishStatus()
	s.final = s.status
	_ = s.guard.Close()
	if s.cache != nil {
		s.cache.close()
	}
	if s.quietTimer != nil {
		s.quietTimer.Stop()
	}
	if s.logFile != nil {
		s.emitMu.Lock()
		_ = s.logBuf.Flush()
		_ = s.logFile.Close()
		s.logBuf, s.logFile = nil, nil
		s.emitMu.Unlock()
	}
}

// each returns the targets in the order they came, gone ones included.
func (s *Session) each() []*target {
	ts := make([]*target, len(s.order))
	for i, path := range s.order {
		ts[i] = s.targets[path]
	}
	return ts
}

// send delivers m to the loop; it gives up once the loop has ended.
func (s *Session) send(m message) {
	select {
	case s.msgs <- m:
	case <-s.done:
	}
}

// spawn runs f on a helper goroutine that close waits for.
func (s *Session) spawn(f func()) {
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		f()
	}()
}

// ask runs f on the loop and returns its result, or ErrNotRunning.
func (s *Session) ask(f func() any) (any, error) {
	c := call{do: f, reply: make(chan any, 1)}
	select {
	case s.calls <- c:
		return <-c.reply, nil
	case <-s.done:
		return nil, ErrNotRunning
	}
}

// emit sends e to the notifier, stamped with the time.
func (s *Session) emit(e Event) {
	e.Time = time.Now()
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if e.Kind == KindLog && s.logBuf != nil {
		fmt.Fprintf(s.logBuf, "%s %s\n", e.Target, e.Line)
		if !s.logPending {
			// One write a while, not one per line: a chatty app under
			// load would otherwise cost a syscall per request.
			s.logPending = true
			time.AfterFunc(logFlush, s.flushLog)
		}
	}
	s.n.Notify(e)
}

// logFlush bounds how late a line of app output reaches app.log.
const logFlush = 100 * time.Millisecond

// flushLog writes the buffered app output to app.log.
func (s *Session) flushLog() {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.logPending = false
	if s.logBuf != nil {
		_ = s.logBuf.Flush()
	}
}

// Do runs a user command on the target named by its import path or name
// ("./cmd/api"), or on every target when target is empty.
func (s *Session) Do(cmd Command, target string) error {
	r, err := s.ask(func() any { return s.do(cmd, target) })
	if err != nil {
		return err
	}
	err, _ = r.(error)
	return err
}

func (s *Session) do(cmd Command, name string) error {
	var ts []*target
	for _, t := range s.each() {
		if t.gone == "" && (name == "" || name == t.pkg.Name || name == t.pkg.Path) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return fmt.Errorf("session: no target %q (targets: %s)", name, s.targetNames())
	}
	switch cmd {
	case CmdRestart, CmdRebuild, CmdStop, CmdStart:
	default:
		return fmt.Errorf("session: unknown command %q", cmd)
	}
	for _, t := range ts {
		switch cmd {
		case CmdRestart:
			if t.lastGood == "" || !s.binFits(t.lastGood) {
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
			if t.lastGood != "" && s.binFits(t.lastGood) {
				s.startVersion(t, t.lastGood, CauseManual)
			} else {
				s.startBuild(t, CauseManual, "start requested")
			}
		}
	}
	return nil
}

func (s *Session) targetNames() string {
	var names []string
	for _, t := range s.each() {
		if t.gone == "" {
			names = append(names, t.pkg.Name)
		}
	}
	return fmt.Sprint(names)
}

// Status returns the current status; after the session ended, the last one.
func (s *Session) Status() Status {
	r, err := s.ask(func() any { return s.status.clone() })
	if err != nil {
		<-s.closed
		return s.final.clone()
	}
	return r.(Status)
}

// Explain says what a change to path would do, and why.
func (s *Session) Explain(path string) (Explanation, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Explanation{}, fmt.Errorf("session: %w", err)
	}
	r, err := s.ask(func() any {
		if s.graph == nil {
			return errors.New("session: the package graph is not loaded yet")
		}
		res := s.graph.Classify([]string{abs})
		x := Explanation{Decision: res.Action().String(), Targets: []string{}, Reason: s.graph.Explain(abs)}
		for _, d := range res.Decisions {
			if d.Action != analysis.None {
				x.Targets = append(x.Targets, d.Target.Name)
			}
		}
		return x
	})
	if err != nil {
		return Explanation{}, err
	}
	if err, ok := r.(error); ok {
		return Explanation{}, err
	}
	return r.(Explanation), nil
}

func (s *Session) analysisOptions() analysis.Options { return AnalysisOptions(s.cfg) }

// AnalysisOptions are the settings of cfg that the package graph depends on.
func AnalysisOptions(cfg config.Config) analysis.Options {
	return analysis.Options{
		Dir:          cfg.Dir,
		Targets:      cfg.Targets,
		RestartGlobs: cfg.Restart,
		Tags:         cfg.Tags,
		Env:          cfg.BuildEnv,
	}
}
