package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// startVersion starts bin as a new version of t. In proxy and socket modes
// the old version keeps serving until the new one is ready (blue/green); in
// no-proxy mode, and for an app that listens on a port of its own, the old
// one is stopped first, and the start waits for its address to be free
// (the proxy holds requests meanwhile).
func (s *Session) startVersion(t *target, bin string, cause Cause) {
	s.startVersionKey(t, bin, "", cause, false)
}

// startVersionKey is startVersion for a binary whose content key is known;
// prepared tells that it was built before the save it answers.
func (s *Session) startVersionKey(t *target, bin, key string, cause Cause, prepared bool) {
	next := t.startRequested(bin, key, cause, prepared)
	switch old := t.cur; {
	case old != nil && t.router != nil && t.appPort != "":
		// The new version needs the old one's port: new requests wait,
		// the old version finishes what it has, stops, and then the new
		// one starts.
		old.backend = t.router.Pause(fmt.Sprintf("%s is reloading: it listens on :%s itself, so the old version stops before the new one starts", s.nameOf(t), t.appPort))
		old.next = next
		if old.backend == nil {
			s.retireThen(t, old, next)
			return
		}
		s.drain(t, old)
		return
	case old != nil && t.router == nil && t.sock == nil:
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
	at := readiness{timeout: s.cfg.StartTimeout.D(), prefer: t.appPort}
	switch {
	case t.sock != nil:
		spec.ExtraFiles = []*os.File{t.sock}
		at.socket = true
	case t.router != nil:
		p, err := s.deps.runner.FreePort()
		if err != nil {
			s.emit(Event{Kind: KindError, Target: t.pkg.Name, Message: err.Error()})
			t.startFailed(err.Error())
			return
		}
		at.port, at.addr = p, net.JoinHostPort("127.0.0.1", p)
		if at.prefer == "" {
			_, at.prefer, _ = net.SplitHostPort(t.addr) // a hard-coded port is most often the public one
		}
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
	v := &version{p: p, id: next.id, bin: next.bin, port: at.port, start: time.Now(), changeAt: t.changeAt, cause: next.cause, key: next.key, prepared: next.prepared}
	v.debugAddr = p.DebugAddr()
	t.versions = append(t.versions, v)
	s.emit(Event{Kind: KindStart, Target: t.pkg.Name, PID: p.AppPID(), Cause: next.cause.String()})
	s.spawn(func() {
		<-p.Exited()
		s.send(versionExited{t: t, v: v})
	})
	ctx, cancel := s.readyContext(t, v, at.timeout)
	s.spawn(func() {
		defer cancel()
		port, err := s.deps.runner.Ready(ctx, p, at)
		s.send(readied{t: t, v: v, port: port, err: err})
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
		s.served(t, v, m.port)
		s.switchTo(t, v)
	}
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
	if s.yieldProxyAddr(t, v, tail) {
		return
	}
	if port := boundPort(tail); port != "" && t.sock == nil {
		err = &startError{msg: fmt.Sprintf("%s (:%s is taken by %s)", err, port, s.holderOf(t, port)), fix: true}
	}
	reason := err.Error()
	t.startFailed(reason)
	out := strings.Join(tail, "\n")
	ev := Event{Kind: KindCrash, Target: t.pkg.Name, Reason: reason, Output: out, Serving: t.cur != nil, Generation: t.generation,
		Diagnostics: s.startDiagnostics(t, tail, err)}
	if !t.newOutput(out) {
		ev.Output, ev.Reason = "", reason+" (the same output as the last time)"
	}
	if ev.Diagnostics != nil {
		t.runDiags = ev.Diagnostics
		s.diagDirty = true
	}
	s.emit(ev)
	if t.router != nil {
		t.router.Fail(withOutput(reason, out))
	}
	if t.cur != nil {
		// The old version keeps serving; the broken one is dropped.
		if v.bin != t.lastGood {
			s.discard(v.bin)
		}
		return
	}
	if t.router != nil {
		t.router.Hold(withOutput(reason, out))
	}
	if t.lastGood != "" && v.bin != t.lastGood {
		s.discard(v.bin)
		s.startVersion(t, t.lastGood, CauseCrash)
		return
	}
	s.retryLater(t, v.bin)
}

// startDiagnostics places a start-up failure in the code: a panic at the
// panicking line of the workspace, a failure the user must fix in the app
// at the call that makes it listen (else its main file).
func (s *Session) startDiagnostics(t *target, tail []string, err error) []build.Diagnostic {
	var se *startError
	if pn, ok := run.ParsePanic(tail, s.inWorkspace); ok {
		return []build.Diagnostic{{File: pn.File, Line: pn.Line, Message: "panic during start-up: " + pn.Message, Kind: build.KindPanic, Package: t.pkg.Path}}
	} else if errors.As(err, &se) && se.fix {
		d := build.Diagnostic{File: t.mainFile, Line: 1, Message: err.Error(), Kind: build.KindStart, Package: t.pkg.Path}
		if _, at := listenCall(s.listenFiles(t), boundPort(tail)); at.IsValid() {
			d.File, d.Line, d.Col = at.Filename, at.Line, at.Column
		}
		return []build.Diagnostic{d}
	}
	return nil
}

// retryLater starts bin again after the target's backoff delay, unless
// something newer happened to t meanwhile.
func (s *Session) retryLater(t *target, bin string) {
	if t.retries++; t.retries > maxRetries {
		t.parked = bin
		s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s failed %d times in a row: not starting it again until a file changes or you run the restart command (the output above says why)", s.nameOf(t), t.retries)})
		return
	}
	d := t.backoff.Next()
	s.emit(Event{Kind: KindRestart, Target: t.pkg.Name, Reason: fmt.Sprintf("starting again in %s", d), Cause: CauseCrash.String()})
	m := retryDue{t: t, id: t.startID, bin: bin}
	if t.retryTimer != nil {
		t.retryTimer.Stop()
	}
	t.retryTimer = time.AfterFunc(d, func() { s.send(m) })
}

// maxRetries is how many times in a row a crashing app is started again
// (after 0.2, 0.4 … 6.4 s, about 13 s in all) before ginhotd waits for a
// change: a port from a config file, a variable not set or a database down
// is not fixed by starting again.
const maxRetries = 6

// wakeParked starts again the targets that gave up restarting, now that a
// file changed (the fix may be in a config file no decision covers).
func (s *Session) wakeParked(c change) {
	for _, t := range s.each() {
		if bin := t.parked; bin != "" && !t.stopped && t.gone == "" && t.cur == nil && !t.building() && !t.starting {
			s.emit(Event{Kind: KindRestart, Target: t.pkg.Name, Reason: "a file changed while it waited", Cause: c.cause.String()})
			t.retries = 0
			s.startVersion(t, bin, c.cause)
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

func exitError(p Process, socket bool) error {
	e := &startError{msg: "the app exited during start-up"}
	if err := p.ExitErr(); err != nil {
		e.msg += ": " + err.Error()
	}
	if socket && strings.Contains(strings.Join(p.Tail(), "\n"), "address already in use") {
		e.msg += " (it tried to bind an address of its own: with --socket-activation it must serve on the socket passed as fd 3 when LISTEN_FDS=1, see the README)"
		e.fix = true
	}
	return e
}

// switchTo makes the ready version v serve t: the proxy sends new
// requests to it, and the old version drains and retires.
func (s *Session) switchTo(t *target, v *version) {
	changeAt := v.changeAt
	if changeAt.IsZero() {
		changeAt = v.start
	}
	old, diagsChanged := t.promote(v)
	s.diagDirty = s.diagDirty || diagsChanged
	s.replaceLastGood(t, v.bin)
	if t.router != nil {
		b := t.router.Switch(net.JoinHostPort("127.0.0.1", v.port))
		if old != nil {
			old.backend = b
		}
	}
	ready := Event{Kind: KindReady, Target: t.pkg.Name, PID: v.p.AppPID(), Generation: t.generation, MS: time.Since(changeAt).Milliseconds(), Cause: v.cause.String(),
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
	if !t.retiring(v) {
		return
	}
	wait := ""
	switch {
	case next != nil && t.appPort != "":
		wait = net.JoinHostPort("", t.appPort)
	case next != nil:
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
	t.forget(v)
	s.emit(Event{Kind: KindStop, Target: t.pkg.Name, PID: v.p.AppPID(), MS: m.ms})
	if e := v.announce; e != nil {
		e.MS = time.Since(v.announceFrom).Milliseconds()
		s.emit(*e)
	}
	if n := m.next; n != nil && n.id == t.startID && !t.stopped {
		s.launch(t, n)
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
	t.forget(v)
	if v != t.cur {
		return
	}
	reason := "the app exited"
	if err := v.p.ExitErr(); err != nil {
		reason += ": " + err.Error()
	}
	t.crashed(reason)
	tail := strings.Join(v.p.Tail(), "\n")
	ev := Event{Kind: KindCrash, Target: t.pkg.Name, PID: v.p.AppPID(), Reason: reason, Output: tail, Generation: t.generation}
	if !t.newOutput(tail) {
		ev.Output, ev.Reason = "", reason+" (the same output as the last time)"
	}
	s.emit(ev)
	if t.router != nil {
		t.router.Hold(withOutput(reason, tail))
	}
	if t.stopped || t.lastGood == "" {
		return
	}
	if time.Since(v.start) > run.DefaultBackoffMax {
		t.healthy() // it ran well for a while: not a crash loop
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

// stopTarget stops t's app until a start command.
func (s *Session) stopTarget(t *target) {
	s.stopVersions(t)
	t.stopped = true
	if t.router != nil {
		t.router.Hold("the app is stopped (run the start command)")
	}
}

// stopVersions ends everything in flight for t and stops its versions.
func (s *Session) stopVersions(t *target) {
	for _, v := range t.halt() {
		s.retire(t, v)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
