package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// This file is the state machine of a target, in the order one save goes
// through it: startBuild → built → startVersion → launch → ready → (switch,
// drain) → drained → retire → stopped. The states and transitions are
// drawn in doc.go.

// target is the run-time state of one Gin main package. The loop alone reads
// and writes it; helper goroutines get immutable values and answer with
// messages.
type target struct {
	pkg      analysis.Target
	mainFile string // the file that declares main, for diagnostics about the whole app
	addr     string // public address: the proxy's, the shared socket's or the app's own
	url      string
	router   Router   // proxy mode only
	sock     *os.File // socket-activation mode only

	state      State
	err        string
	generation int
	buildMs    int64
	pid        int

	changeAt   time.Time // when the change being acted on was seen
	decisionUS int64

	buildID     int
	buildCancel context.CancelFunc

	startID    int
	lastGood   string     // binary of the version that last became ready
	cur        *version   // the version serving
	versions   []*version // every version whose process is alive
	stopped    bool       // the user asked for stop
	backoff    run.Backoff
	retryTimer *time.Timer // a pending crash restart

	buildDiags []build.Diagnostic
	runDiags   []build.Diagnostic

	// Content keys and speculation (speculate.go). buildKey is the key of
	// the build in flight; spec the speculative build in flight; awaiting
	// the key of a save that waits for it (with its cause and reason);
	// inputs the files its build reads, from the graph inputsOf.
	buildKey    string
	speculation *specBuild
	specID      int
	awaiting    string
	awaitCause  Cause
	awaitReason string
	awaitSince  time.Time
	inputs      []string
	inputsOf    Graph
	extra       map[string]bool // changed files noted since inputsOf, which may not list them yet
}

// version is one started process of a target.
type version struct {
	p        Process
	id       int    // the target's startID when it was started
	bin      string // the binary it runs
	port     string // its PORT (proxy and no-proxy modes)
	start    time.Time
	changeAt time.Time // the change it answers
	ready    bool      // it became ready
	retiring bool      // it is being stopped on purpose
	backend  Drainer   // proxy mode: its backend, once switched to
	// announce, in socket mode, is the ready event of the version that
	// replaces this one, emitted once this one has stopped; its MS then
	// counts from announceFrom, the change the new version answers.
	announce     *Event
	announceFrom time.Time
	// Debug mode (debug.go): debugAddr is where its Delve listens ("" when
	// it runs without); waiting: it started halted (debug_wait) and no
	// client is attached; awaited: it has waited for one, so editors
	// attach to it before it is ready.
	debugAddr string
	waiting   bool
	awaited   bool
	// key is the content key of bin ("" if unknown); prepared: bin was
	// built before the save it answers.
	key      string
	prepared bool
}

// The messages helper goroutines send to the loop. Each carries the target
// and the values the goroutine was given, so the loop can tell whether the
// result is still wanted.
type (
	message interface{ isMessage() }

	// built: a build finished (or failed, or was cancelled).
	built struct {
		t       *target
		id      int // buildID
		key     string
		cause   Cause
		reason  string
		started time.Time
		res     build.Result
		err     error
		pre     []stepRun // the steps without inputs run before the build
	}
	// readied: a starting version is ready, or err says why it is not.
	readied struct {
		t   *target
		v   *version
		err error
	}
	// versionExited: a version's process versionExited, whatever the reason.
	versionExited struct {
		t *target
		v *version
	}
	// drained: an old version has finished its in-flight requests.
	drained struct {
		t *target
		v *version
	}
	// versionStopped: a version retired on purpose is gone; next, if set, is the
	// start that waited for it (no-proxy mode).
	versionStopped struct {
		t    *target
		v    *version
		ms   int64
		next *pending
	}
	// retryDue: the crash backoff of a target has run out.
	retryDue struct {
		t   *target
		id  int // startID when the retry was scheduled
		bin string
	}
	// graphLoaded: a graph reload finished.
	graphLoaded struct {
		g   Graph
		err error
	}
)

// pending is a start that waits for the old version to free the address.
type pending struct {
	id       int
	bin      string
	key      string
	cause    Cause
	prepared bool
}

func (built) isMessage()          {}
func (readied) isMessage()        {}
func (versionExited) isMessage()  {}
func (drained) isMessage()        {}
func (versionStopped) isMessage() {}
func (retryDue) isMessage()       {}
func (graphLoaded) isMessage()    {}

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
		s.retire(m.t, m.v)
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

// startBuild cancels any build of t in flight and starts a new one: the
// latest change wins.
func (s *Session) startBuild(t *target, cause Cause, reason string) {
	opts := s.buildOptions(t)
	s.startBuildOf(t, opts, s.keyOf(t, opts, nil), cause, reason)
}

// startBuildOf is startBuild with the build settings and content key the
// caller already has.
func (s *Session) startBuildOf(t *target, opts build.Options, key string, cause Cause, reason string) {
	if t.buildCancel != nil {
		t.buildCancel()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	t.buildCancel = cancel
	t.buildID++
	t.state = StateBuilding
	if t.changeAt.IsZero() || (cause != CauseFileChange && cause != CauseDidSave) {
		t.changeAt = time.Now()
	}
	s.emit(Event{Kind: KindBuildStart, Target: t.pkg.Name, Reason: reason, Cause: cause.String(), DecisionUS: t.decisionUS})
	t.decisionUS = 0
	pkg, pre := t.pkg.Path, s.preSteps(cause)
	t.buildKey = key
	m := built{t: t, id: t.buildID, key: t.buildKey, cause: cause, reason: reason, started: time.Now()}
	s.spawn(func() {
		var ok bool
		if m.pre, ok = s.runPre(ctx, pre); !ok {
			s.send(m)
			return
		}
		m.res, m.err = s.deps.builder.Build(ctx, opts, pkg)
		s.send(m)
	})
}

// staleBuild is the reason of a build started again because a file it
// failed on changed while it ran.
const staleBuild = "a file changed during the build"

func (s *Session) onBuilt(m built) {
	t := m.t
	if m.id != t.buildID {
		return // a newer change superseded this build
	}
	if !s.afterPre(t, m) {
		return
	}
	if m.err == nil && !m.res.OK && m.reason != staleBuild && touchedSince(m.res.Diags, m.started) {
		// An editor was still writing a file the build read (a truncated
		// file reads as "expected 'package'"): build again, once, rather
		// than report errors nobody wrote.
		s.startBuild(t, m.cause, staleBuild)
		return
	}
	t.buildCancel = nil
	t.buildKey = ""
	t.buildMs = m.res.Duration.Milliseconds()
	switch {
	case m.err != nil && errors.Is(m.err, context.Canceled):
		return
	case m.err != nil || !m.res.OK:
		s.buildFailed(t, m)
		return
	}
	s.buildSucceeded(t, Event{Kind: KindBuildOK, Target: t.pkg.Name, MS: t.buildMs, Cause: m.cause.String()})
	bin, key := m.res.Binary, m.key
	if s.touchedSinceKey(t) {
		key = "" // the binary may not match the key taken at the start
	} else {
		bin = s.keepBinary(key, bin)
	}
	if t.stopped {
		s.replaceLastGood(t, bin)
		t.state = StateStopped
		return
	}
	s.startVersionKey(t, bin, key, m.cause, false)
}

// buildSucceeded records that t has a good binary, from a build or reused:
// it clears the build errors, reports e (the build_ok event) and ends the
// failure state of t's router and the restart backoff.
func (s *Session) buildSucceeded(t *target, e Event) {
	if t.buildDiags != nil {
		t.buildDiags = nil
		s.diagDirty = true
	}
	t.err = ""
	s.emit(e)
	if t.router != nil {
		t.router.ClearFail()
	}
	t.backoff.Reset()
}

// buildFailed reports a build that failed: ginhotd could not build (go
// missing) or the code did not compile. What serves keeps serving.
func (s *Session) buildFailed(t *target, m built) {
	if m.err != nil {
		t.err = m.err.Error()
		msg := m.err.Error()
		if errors.Is(m.err, build.ErrGoNotFound) {
			msg = "the go command is not in PATH: install Go (https://go.dev/dl) or put it on PATH, then save again"
		}
		s.emit(Event{Kind: KindError, Target: t.pkg.Name, Message: msg})
		s.restoreState(t)
		return
	}
	t.err = firstLine(m.res.Output)
	t.buildDiags = m.res.Diags
	s.diagDirty = true
	s.emit(Event{Kind: KindBuildFail, Target: t.pkg.Name, MS: t.buildMs, Diagnostics: m.res.Diags, Output: m.res.Output,
		Cause: m.cause.String(), Serving: t.cur != nil, Generation: t.generation})
	if t.router != nil {
		t.router.Fail(m.res.Output)
	}
	t.state = StateFailed
}

// touchedSince reports whether a file named by diags was modified after t.
func touchedSince(diags []build.Diagnostic, t time.Time) bool {
	for _, d := range diags {
		if d.File == "" {
			continue
		}
		if fi, err := os.Stat(d.File); err == nil && fi.ModTime().After(t) {
			return true
		}
	}
	return false
}

// restoreState sets t's state from what is running after a failure.
func (s *Session) restoreState(t *target) {
	switch {
	case t.stopped:
		t.state = StateStopped
	case t.cur == nil && t.err != "":
		t.state = StateFailed
	case t.cur == nil:
		t.state = StateCrashed
	default:
		t.state = StateFailed
	}
}

// startVersion starts bin as a new version of t. In proxy and socket modes
// the old version keeps serving until the new one is ready (blue/green); in
// no-proxy mode the old one is stopped first, and the start waits for its
// address to be free.
func (s *Session) startVersion(t *target, bin string, cause Cause) {
	s.startVersionKey(t, bin, "", cause, false)
}

// startVersionKey is startVersion for a binary whose content key is known;
// prepared tells that it was built before the save it answers.
func (s *Session) startVersionKey(t *target, bin, key string, cause Cause, prepared bool) {
	t.startID++
	t.state = StateStarting
	if t.retryTimer != nil {
		t.retryTimer.Stop()
		t.retryTimer = nil
	}
	next := &pending{id: t.startID, bin: bin, key: key, cause: cause, prepared: prepared}
	if t.router == nil && t.sock == nil && t.cur != nil {
		old := t.cur
		s.retireThen(t, old, next)
		return
	}
	s.launch(t, next)
}

// launch starts the process of a version and waits, on a helper goroutine,
// until it is ready.
func (s *Session) launch(t *target, next *pending) {
	sig, _ := s.cfg.Signal()
	spec := run.Spec{
		Name:        t.pkg.Name,
		Path:        next.bin,
		Args:        s.cfg.Args,
		Env:         s.appEnv(),
		Dir:         s.cfg.Dir,
		StopSignal:  sig,
		KillTimeout: s.cfg.KillTimeout.D(),
		OnStart:     s.guard.Add,
		OnExit:      s.guard.Remove,
		Output: func(line string, stderr bool) {
			s.emit(Event{Kind: KindLog, Target: t.pkg.Name, Line: line, Stderr: stderr})
		},
	}
	at := readiness{timeout: s.cfg.StartTimeout.D()}
	switch {
	case t.sock != nil:
		spec.ExtraFiles = []*os.File{t.sock}
		at.socket = true
	case t.router != nil:
		p, err := s.deps.runner.FreePort()
		if err != nil {
			s.emit(Event{Kind: KindError, Target: t.pkg.Name, Message: err.Error()})
			s.restoreState(t)
			return
		}
		at.port, at.addr = p, net.JoinHostPort("127.0.0.1", p)
	default:
		_, at.port, _ = net.SplitHostPort(t.addr)
		at.addr = t.addr
	}
	if at.port != "" {
		spec.Env = append(spec.Env, "PORT="+at.port)
	}
	if s.launchDebug(t, next, spec, at) {
		return // started on a helper goroutine: see onLaunched
	}
	p, err := s.deps.runner.Start(spec)
	s.started(t, next, at, p, err)
}

// started goes on once the process of a version has started (or failed
// to): it watches for its exit and waits, on a helper goroutine, until it
// is ready.
func (s *Session) started(t *target, next *pending, at readiness, p Process, err error) {
	if err != nil {
		s.startFailed(t, &version{id: next.id, bin: next.bin}, err)
		return
	}
	v := &version{p: p, id: next.id, bin: next.bin, port: at.port, start: time.Now(), changeAt: t.changeAt, key: next.key, prepared: next.prepared}
	v.debugAddr = p.DebugAddr()
	t.versions = append(t.versions, v)
	t.pid = p.AppPID()
	s.emit(Event{Kind: KindStart, Target: t.pkg.Name, PID: p.AppPID(), Cause: next.cause.String()})
	s.spawn(func() {
		<-p.Exited()
		s.send(versionExited{t: t, v: v})
	})
	ctx, cancel := s.readyContext(t, v, at.timeout)
	s.spawn(func() {
		defer cancel()
		s.send(readied{t: t, v: v, err: s.deps.runner.Ready(ctx, p, at)})
	})
}

func (s *Session) onReadied(m readied) {
	t, v := m.t, m.v
	switch {
	case v.retiring:
		return
	case m.err != nil:
		s.startFailed(t, v, m.err)
	case v.id != t.startID:
		s.retire(t, v) // a newer start superseded this one
	default:
		s.promote(t, v)
	}
}

// promote makes v the serving version of t and retires the old one.
func (s *Session) promote(t *target, v *version) {
	changeAt := v.changeAt
	if changeAt.IsZero() {
		changeAt = v.start
	}
	old := t.cur
	t.cur = v
	v.ready = true
	s.replaceLastGood(t, v.bin)
	t.generation++
	t.pid = v.p.AppPID()
	t.state = StateRunning
	t.err = ""
	t.changeAt = time.Time{}
	if t.runDiags != nil {
		t.runDiags = nil
		s.diagDirty = true
	}
	if t.router != nil {
		b := t.router.Switch(net.JoinHostPort("127.0.0.1", v.port))
		if old != nil {
			old.backend = b
		}
	}
	ready := Event{Kind: KindReady, Target: t.pkg.Name, PID: v.p.AppPID(), Generation: t.generation, MS: time.Since(changeAt).Milliseconds(),
		Reason: fmt.Sprintf("started in %dms", time.Since(v.start).Milliseconds()), Debug: v.debugAddr, Speculative: v.prepared}
	switch {
	case old == nil:
		s.emit(ready)
	case t.sock != nil:
		// Both versions accept on the shared socket: the new one serves
		// alone only once the old one has stopped.
		old.announce, old.announceFrom = &ready, changeAt
		s.retire(t, old)
	case old.backend != nil:
		s.emit(ready)
		s.drain(t, old)
	default:
		s.emit(ready)
		s.retire(t, old)
	}
}

// replaceLastGood makes bin the binary to fall back on, removing the old one
// (a running process keeps its inode).
func (s *Session) replaceLastGood(t *target, bin string) {
	if t.lastGood != bin {
		s.discard(t.lastGood)
	}
	t.lastGood = bin
	s.keepBinaries()
}

// discard removes a binary nothing will run again, unless the binary
// store owns it (it may serve an undo).
func (s *Session) discard(bin string) {
	if bin != "" && !s.inStore(bin) {
		_ = os.Remove(bin)
	}
}

// drain lets old finish its in-flight requests, then retires it. Under
// a debugger, old is first kept as long as a client holds it halted.
func (s *Session) drain(t *target, old *version) {
	b, timeout := old.backend, s.cfg.DrainTimeout.D()
	free := s.untilFree(t, old)
	s.spawn(func() {
		free()
		ctx, cancel := context.WithTimeout(s.ctx, timeout)
		_ = b.Drain(ctx)
		cancel()
		s.send(drained{t: t, v: old})
	})
}

// retire stops v on a helper goroutine; its exit is not a crash.
func (s *Session) retire(t *target, v *version) {
	s.retireThen(t, v, nil)
}

// retireThen retires v and, once it is gone and the address it held is
// free, launches next (no-proxy mode).
func (s *Session) retireThen(t *target, v *version, next *pending) {
	if v.retiring {
		return
	}
	v.retiring = true
	if t.cur == v {
		t.cur = nil
	}
	wait := ""
	if next != nil {
		wait = t.addr
	}
	timeout := s.cfg.KillTimeout.D() + 5*time.Second
	s.spawn(func() {
		start := time.Now()
		_ = v.p.Stop()
		m := versionStopped{t: t, v: v, ms: time.Since(start).Milliseconds(), next: next}
		if wait != "" {
			ctx, cancel := context.WithTimeout(s.ctx, timeout)
			if err := s.deps.runner.WaitPortFree(ctx, wait); err != nil && s.ctx.Err() == nil {
				s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s is still taken after the old version stopped: %v", wait, err)})
			}
			cancel()
		}
		s.send(m)
	})
}

func (s *Session) onStopped(m versionStopped) {
	t, v := m.t, m.v
	s.forget(t, v)
	s.emit(Event{Kind: KindStop, Target: t.pkg.Name, PID: v.p.AppPID(), MS: m.ms})
	if e := v.announce; e != nil {
		e.MS = time.Since(v.announceFrom).Milliseconds()
		s.emit(*e)
	}
	if n := m.next; n != nil && n.id == t.startID && !t.stopped {
		s.launch(t, n)
	}
}

// forget drops v from t's live versions.
func (s *Session) forget(t *target, v *version) {
	for i, w := range t.versions {
		if w == v {
			t.versions = append(t.versions[:i], t.versions[i+1:]...)
			return
		}
	}
}

// onExited handles the exit of a version's process. Only the exit of the
// serving version is a crash: a starting one is reported by its readiness
// wait, and a retiring one by its stop.
func (s *Session) onExited(m versionExited) {
	t, v := m.t, m.v
	if v.retiring || !v.ready {
		return
	}
	s.forget(t, v)
	if v != t.cur {
		return
	}
	t.cur = nil
	t.pid = 0
	t.state = StateCrashed
	reason := "the app exited"
	if err := v.p.ExitErr(); err != nil {
		reason += ": " + err.Error()
	}
	t.err = reason
	tail := strings.Join(v.p.Tail(), "\n")
	s.emit(Event{Kind: KindCrash, Target: t.pkg.Name, PID: v.p.AppPID(), Reason: reason, Output: tail, Generation: t.generation})
	if t.router != nil {
		t.router.Hold(withOutput(reason, tail))
	}
	if t.stopped || t.lastGood == "" {
		return
	}
	if time.Since(v.start) > run.DefaultBackoffMax {
		t.backoff.Reset() // it ran well for a while: not a crash loop
	}
	s.retryLater(t, t.lastGood)
}

// withOutput joins a reason and the app's last output for the 502 page.
func withOutput(reason, tail string) string {
	if tail == "" {
		return reason
	}
	return reason + "\n\nLast output of the app:\n" + tail
}

// startFailed reports a version that never became ready; the version
// serving (if any) keeps serving.
func (s *Session) startFailed(t *target, v *version, err error) {
	var tail []string
	if v.p != nil {
		tail = v.p.Tail()
		s.retire(t, v)
	}
	if v.id != t.startID {
		if v.bin != t.lastGood {
			s.discard(v.bin)
		}
		return
	}
	reason := err.Error()
	t.err = reason
	ev := Event{Kind: KindCrash, Target: t.pkg.Name, Reason: reason, Output: strings.Join(tail, "\n"), Serving: t.cur != nil, Generation: t.generation}
	var se *startError
	if pn, ok := run.ParsePanic(tail, s.inWorkspace); ok {
		ev.Diagnostics = []build.Diagnostic{{File: pn.File, Line: pn.Line, Message: "panic during start-up: " + pn.Message, Kind: build.KindPanic, Package: t.pkg.Path}}
	} else if errors.As(err, &se) && se.fix {
		ev.Diagnostics = []build.Diagnostic{{File: t.mainFile, Line: 1, Message: reason, Kind: build.KindStart, Package: t.pkg.Path}}
	}
	if ev.Diagnostics != nil {
		t.runDiags = ev.Diagnostics
		s.diagDirty = true
	}
	s.emit(ev)
	if t.router != nil {
		t.router.Fail(withOutput(reason, ev.Output))
	}
	if t.cur != nil {
		// The old version keeps serving; the broken one is dropped.
		if v.bin != t.lastGood {
			s.discard(v.bin)
		}
		t.pid = t.cur.p.AppPID()
		t.state = StateFailed
		return
	}
	t.pid = 0
	t.state = StateCrashed
	if t.router != nil {
		t.router.Hold(withOutput(reason, ev.Output))
	}
	if t.lastGood != "" && v.bin != t.lastGood {
		s.discard(v.bin)
		s.startVersion(t, t.lastGood, CauseCrash)
		return
	}
	s.retryLater(t, v.bin)
}

// retryLater starts bin again after the target's backoff delay, unless
// something newer happened to t meanwhile.
func (s *Session) retryLater(t *target, bin string) {
	d := t.backoff.Next()
	s.emit(Event{Kind: KindRestart, Target: t.pkg.Name, Reason: fmt.Sprintf("starting again in %s", d), Cause: CauseCrash.String()})
	m := retryDue{t: t, id: t.startID, bin: bin}
	if t.retryTimer != nil {
		t.retryTimer.Stop()
	}
	t.retryTimer = time.AfterFunc(d, func() { s.send(m) })
}

// stopTarget stops t's app until a start command.
func (s *Session) stopTarget(t *target) {
	t.stopped = true
	t.startID++
	if t.buildCancel != nil {
		t.buildCancel()
		t.buildCancel = nil
	}
	if t.retryTimer != nil {
		t.retryTimer.Stop()
		t.retryTimer = nil
	}
	for _, v := range t.versions {
		s.retire(t, v)
	}
	t.cur = nil
	t.pid = 0
	t.state = StateStopped
	if t.router != nil {
		t.router.Hold("the app is stopped (run the start command)")
	}
}

// startError is why a new version never became ready. fix marks failures
// the user must fix in the app or the flags; msg then says how.
type startError struct {
	msg string
	fix bool
}

func (e *startError) Error() string { return e.msg }

func exitError(p Process, socket bool) error {
	e := &startError{msg: "the app exited during start-up"}
	if err := p.ExitErr(); err != nil {
		e.msg += ": " + err.Error()
	}
	tail := strings.Join(p.Tail(), "\n")
	switch {
	case !strings.Contains(tail, "address already in use"):
		return e
	case socket:
		e.msg += " (it tried to bind an address of its own: with --socket-activation it must serve on the socket passed as fd 3 when LISTEN_FDS=1, see the README)"
	default:
		e.msg += " (its address is taken: a hard-coded r.Run(\":8080\") clashes with ginhotd's proxy; use r.Run() so the app honours PORT, or --no-proxy)"
	}
	e.fix = true
	return e
}

func containsPort(ports []int, port string) bool {
	for _, p := range ports {
		if fmt.Sprint(p) == port {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
