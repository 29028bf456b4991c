package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/proxy"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// target is the run-time state of one Gin main package. It is owned by the
// session's loop goroutine.
type target struct {
	t     analysis.Target
	addr  string // public address: the proxy's, the shared socket's or the app's own
	url   string
	proxy *proxy.Proxy // proxy mode only
	srv   *http.Server
	sock  *os.File // socket-activation mode only

	state   State
	err     string
	gen     int
	buildMs int64
	pid     int

	changeAt   time.Time // when the change being acted on was seen
	readyAt    time.Time // when the serving version became ready
	decisionUS int64

	buildID     int
	cancelBuild context.CancelFunc

	startID  int
	lastGood string                // binary of the version that last became ready
	cur      *run.Process          // the version serving
	procs    map[*run.Process]bool // every process of this target still alive
	stopped  bool                  // the user asked for stop
	backoff  run.Backoff

	buildDiags []build.Diagnostic
	runDiags   []build.Diagnostic
}

// startBuild cancels any build of t in flight and starts a new one: the
// latest change wins.
func (s *Session) startBuild(t *target, cause Cause, reason string) {
	if t.cancelBuild != nil {
		t.cancelBuild()
	}
	ctx, cancel := context.WithCancel(s.base)
	t.cancelBuild = cancel
	t.buildID++
	id := t.buildID
	t.state = StateBuilding
	if t.changeAt.IsZero() || (cause != CauseFileChange && cause != CauseDidSave) {
		t.changeAt = time.Now()
	}
	s.emit(Event{Kind: KindBuildStart, Target: t.t.Name, Reason: reason, Cause: cause.String(), DecisionUS: t.decisionUS})
	t.decisionUS = 0
	opts := s.buildOptions()
	started := time.Now()
	go func() {
		res, err := build.Run(ctx, opts, t.t.Path)
		s.post(func() {
			if id == t.buildID && err == nil && !res.OK && reason != staleBuild && touchedSince(res.Diags, started) {
				// An editor was still writing a file the build read (a
				// truncated file reads as "expected 'package'"): build
				// again, once, rather than report errors nobody wrote.
				s.startBuild(t, cause, staleBuild)
				return
			}
			s.onBuild(t, id, cause, res, err)
		})
	}()
}

// staleBuild is the reason of a build started again because a file it
// failed on changed while it ran.
const staleBuild = "a file changed during the build"

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

func (s *Session) onBuild(t *target, id int, cause Cause, res build.Result, err error) {
	if id != t.buildID {
		return // a newer change superseded this build
	}
	t.cancelBuild = nil
	t.buildMs = res.Duration.Milliseconds()
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		return
	case err != nil:
		t.err = err.Error()
		msg := err.Error()
		if errors.Is(err, build.ErrGoNotFound) {
			msg = "the go command is not in PATH: install Go (https://go.dev/dl) or put it on PATH, then save again"
		}
		s.emit(Event{Kind: KindError, Target: t.t.Name, Message: msg})
		s.restoreState(t)
		return
	case !res.OK:
		t.err = firstLine(res.Output)
		t.buildDiags = res.Diags
		s.emit(Event{Kind: KindBuildFail, Target: t.t.Name, MS: t.buildMs, Diagnostics: res.Diags, Output: res.Output, Cause: cause.String()})
		if t.proxy != nil {
			t.proxy.Fail(res.Output)
		}
		t.state = StateFailed
		s.publishDiagnostics()
		return
	}
	t.buildDiags = nil
	t.err = ""
	s.emit(Event{Kind: KindBuildOK, Target: t.t.Name, MS: t.buildMs, Cause: cause.String()})
	if t.proxy != nil {
		t.proxy.ClearFail()
	}
	s.publishDiagnostics()
	t.backoff.Reset()
	if t.stopped {
		t.lastGood = res.Binary
		t.state = StateStopped
		return
	}
	s.startVersion(t, res.Binary, cause)
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
// no-proxy mode the old one is stopped first.
func (s *Session) startVersion(t *target, bin string, cause Cause) {
	t.startID++
	id := t.startID
	t.state = StateStarting
	sig, _ := s.cfg.Signal()
	spec := run.Spec{
		Name:        t.t.Name,
		Path:        bin,
		Args:        s.cfg.Args,
		Env:         append([]string{}, s.cfg.Env...),
		Dir:         s.cfg.Dir,
		StopSignal:  sig,
		KillTimeout: s.cfg.KillTimeout.D(),
		OnStart:     s.guard.Add,
		OnExit:      s.guard.Remove,
		Output: func(line string, stderr bool) {
			s.emit(Event{Kind: KindLog, Target: t.t.Name, Line: line, Stderr: stderr})
		},
	}
	var port string
	switch {
	case t.sock != nil:
		spec.ExtraFiles = []*os.File{t.sock}
	case t.proxy != nil:
		p, err := freePort()
		if err != nil {
			s.emit(Event{Kind: KindError, Target: t.t.Name, Message: err.Error()})
			s.restoreState(t)
			return
		}
		port = p
		spec.Env = append(spec.Env, "PORT="+port)
	default:
		_, port, _ = net.SplitHostPort(t.addr)
		spec.Env = append(spec.Env, "PORT="+port)
	}
	old := t.cur
	noProxy := t.proxy == nil && t.sock == nil
	if noProxy && old != nil {
		t.cur = nil
		delete(t.procs, old)
	}
	timeout := s.cfg.StartTimeout.D()
	changeAt := t.changeAt
	s.procs.Add(1)
	go func() {
		defer s.procs.Done()
		if noProxy && old != nil {
			s.stopAndReport(t, old)
			ctx, cancel := context.WithTimeout(s.base, s.cfg.KillTimeout.D()+5*time.Second)
			err := run.WaitPortFree(ctx, t.addr)
			cancel()
			if err != nil && s.base.Err() == nil {
				s.emit(Event{Kind: KindWarn, Target: t.t.Name, Message: fmt.Sprintf("%s is still taken after the old version stopped: %v", t.addr, err)})
			}
		}
		if s.base.Err() != nil {
			return
		}
		start := time.Now()
		p, err := run.Start(spec)
		if err != nil {
			s.post(func() { s.onStartFailed(t, id, nil, bin, err) })
			return
		}
		if !s.post(func() {
			t.procs[p] = true
			t.pid = p.PID()
		}) {
			_ = p.Stop()
			return
		}
		s.emit(Event{Kind: KindStart, Target: t.t.Name, PID: p.PID(), Cause: cause.String()})
		err = s.waitReady(p, t, port, timeout)
		s.post(func() {
			if err != nil {
				s.onStartFailed(t, id, p, bin, err)
				return
			}
			s.onReady(t, id, p, bin, port, start, changeAt)
		})
	}()
}

// waitReady waits until p accepts connections: on its PORT in proxy and
// no-proxy modes, or, in socket-activation mode, until it has stayed up for a
// short while (the shared socket accepts from the start).
func (s *Session) waitReady(p *run.Process, t *target, port string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(s.base, timeout)
	defer cancel()
	if t.sock != nil {
		select {
		case <-p.Exited():
			return exitError(p, true)
		case <-time.After(300 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	if t.proxy == nil {
		addr = t.addr
	}
	ready := make(chan error, 1)
	go func() { ready <- run.WaitListening(ctx, addr) }()
	wrongPort := time.NewTicker(time.Second)
	defer wrongPort.Stop()
	for {
		select {
		case err := <-ready:
			if err != nil {
				return &startError{msg: fmt.Sprintf("the app did not listen on %s within %s", addr, timeout), fix: true}
			}
			return nil
		case <-p.Exited():
			cancel()
			<-ready
			return exitError(p, false)
		case <-wrongPort.C:
			ports, _ := run.ListeningPorts(p.PID())
			if len(ports) > 0 && !containsPort(ports, port) {
				cancel()
				<-ready
				return &startError{msg: fmt.Sprintf("the app listens on port %v, not on PORT=%s: use r.Run() with no address (or read the PORT variable), or run ginhotd with --no-proxy", ports, port), fix: true}
			}
		case <-s.base.Done():
			return s.base.Err()
		}
	}
}

// startError is why a new version never became ready. fix marks failures
// the user must fix in the app or the flags; msg then says how.
type startError struct {
	msg string
	fix bool
}

func (e *startError) Error() string { return e.msg }

func exitError(p *run.Process, socket bool) error {
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

// onReady makes p the serving version of t.
func (s *Session) onReady(t *target, id int, p *run.Process, bin, port string, start, changeAt time.Time) {
	if changeAt.IsZero() {
		changeAt = start
	}
	if id != t.startID || s.base.Err() != nil {
		s.retire(t, p) // a newer start superseded this one
		return
	}
	old := t.cur
	t.cur = p
	if t.lastGood != "" && t.lastGood != bin {
		_ = os.Remove(t.lastGood) // the running process keeps its inode
	}
	t.lastGood = bin
	t.gen++
	t.pid = p.PID()
	t.state = StateRunning
	t.err = ""
	t.changeAt = time.Time{}
	t.readyAt = time.Now()
	if t.runDiags != nil {
		t.runDiags = nil
		s.publishDiagnostics()
	}
	var oldBackend *proxy.Backend
	if t.proxy != nil {
		oldBackend = t.proxy.Switch(net.JoinHostPort("127.0.0.1", port))
	}
	ready := Event{Kind: KindReady, Target: t.t.Name, PID: p.PID(), Generation: t.gen, MS: time.Since(changeAt).Milliseconds(),
		Reason: fmt.Sprintf("started in %dms", time.Since(start).Milliseconds())}
	go func() {
		<-p.Exited()
		s.post(func() { s.onExit(t, p) })
	}()
	switch {
	case old == nil || old == p:
		s.emit(ready)
	case t.sock != nil:
		// Both versions accept on the shared socket: the new one serves
		// alone only once the old one has stopped.
		delete(t.procs, old)
		s.procs.Add(1)
		go func() {
			defer s.procs.Done()
			s.stopAndReport(t, old)
			ready.MS = time.Since(changeAt).Milliseconds()
			s.emit(ready)
		}()
	default:
		s.emit(ready)
		s.drainAndStop(t, old, oldBackend)
	}
}

// drainAndStop lets old finish its in-flight requests, then stops it.
func (s *Session) drainAndStop(t *target, old *run.Process, b *proxy.Backend) {
	s.procs.Add(1)
	go func() {
		defer s.procs.Done()
		if b != nil {
			ctx, cancel := context.WithTimeout(s.base, s.cfg.DrainTimeout.D())
			_ = b.Drain(ctx)
			cancel()
		}
		s.post(func() { s.retire(t, old) })
	}()
}

// onStartFailed reports a version that never became ready; the version
// serving (if any) keeps serving.
func (s *Session) onStartFailed(t *target, id int, p *run.Process, bin string, err error) {
	var tail []string
	if p != nil {
		tail = p.Tail()
		s.retire(t, p)
	}
	if id != t.startID {
		if bin != t.lastGood {
			_ = os.Remove(bin)
		}
		return
	}
	reason := err.Error()
	t.err = reason
	ev := Event{Kind: KindCrash, Target: t.t.Name, Reason: reason, Output: strings.Join(tail, "\n")}
	var se *startError
	if pn, ok := run.ParsePanic(tail, s.inWorkspace); ok {
		d := build.Diagnostic{File: pn.File, Line: pn.Line, Message: "panic during start-up: " + pn.Message, Kind: "panic", Package: t.t.Path}
		ev.Diagnostics = []build.Diagnostic{d}
		t.runDiags = ev.Diagnostics
	} else if errors.As(err, &se) && se.fix {
		ev.Diagnostics = []build.Diagnostic{{File: mainFile(t.t.Dir), Line: 1, Message: reason, Kind: "start", Package: t.t.Path}}
		t.runDiags = ev.Diagnostics
	}
	s.emit(ev)
	s.publishDiagnostics()
	if t.proxy != nil {
		t.proxy.Fail(reason + "\n" + ev.Output)
	}
	if t.cur != nil {
		// The old version keeps serving; the broken one is dropped.
		if bin != t.lastGood {
			_ = os.Remove(bin)
		}
		t.pid = t.cur.PID()
		t.state = StateFailed
		return
	}
	t.pid = 0
	t.state = StateCrashed
	if t.proxy != nil {
		t.proxy.Hold(reason)
	}
	if t.lastGood != "" && bin != t.lastGood {
		_ = os.Remove(bin)
		s.startVersion(t, t.lastGood, CauseCrash)
		return
	}
	s.retryLater(t, bin)
}

// retryLater starts bin again after the target's backoff delay, unless
// something newer happened to t meanwhile.
func (s *Session) retryLater(t *target, bin string) {
	d := t.backoff.Next()
	s.emit(Event{Kind: KindRestart, Target: t.t.Name, Reason: fmt.Sprintf("starting again in %s", d), Cause: CauseCrash.String()})
	id := t.startID
	time.AfterFunc(d, func() {
		s.post(func() {
			if id == t.startID && t.cur == nil && !t.stopped {
				s.startVersion(t, bin, CauseCrash)
			}
		})
	})
}

// onExit handles the exit of a process that was serving.
func (s *Session) onExit(t *target, p *run.Process) {
	delete(t.procs, p)
	if p != t.cur {
		return // stopped on purpose
	}
	t.cur = nil
	t.pid = 0
	t.state = StateCrashed
	reason := "the app exited"
	if err := p.ExitErr(); err != nil {
		reason += ": " + err.Error()
	}
	t.err = reason
	s.emit(Event{Kind: KindCrash, Target: t.t.Name, PID: p.PID(), Reason: reason, Output: strings.Join(p.Tail(), "\n")})
	if t.proxy != nil {
		t.proxy.Hold(reason)
	}
	if t.stopped || t.lastGood == "" {
		return
	}
	if time.Since(t.readyAt) > run.DefaultBackoffMax {
		t.backoff.Reset() // it ran well for a while: not a crash loop
	}
	s.retryLater(t, t.lastGood)
}

// retire stops p in the background; its exit is not a crash.
func (s *Session) retire(t *target, p *run.Process) {
	if t.cur == p {
		t.cur = nil
	}
	s.stopProc(t, p)
}

// stopProc stops p in the background and reports when it is gone.
func (s *Session) stopProc(t *target, p *run.Process) {
	delete(t.procs, p)
	s.procs.Add(1)
	go func() {
		defer s.procs.Done()
		s.stopAndReport(t, p)
	}()
}

// stopAndReport stops p and emits the stop event. It may run on any
// goroutine.
func (s *Session) stopAndReport(t *target, p *run.Process) {
	start := time.Now()
	_ = p.Stop()
	s.emit(Event{Kind: KindStop, Target: t.t.Name, PID: p.PID(), MS: time.Since(start).Milliseconds()})
}

// stopTarget stops t's app until a start command.
func (s *Session) stopTarget(t *target) {
	t.stopped = true
	t.startID++
	if t.cancelBuild != nil {
		t.cancelBuild()
		t.cancelBuild = nil
	}
	for p := range t.procs {
		s.retire(t, p)
	}
	t.cur = nil
	t.pid = 0
	t.state = StateStopped
	if t.proxy != nil {
		t.proxy.Hold("the app is stopped (run the start command)")
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("session: no free port: %w", err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
