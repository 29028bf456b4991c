package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// This file is debug mode: builds for Delve, each version under
// `dlv exec --headless`, its address in the ready event and the status, and
// a version halted in the debugger kept until its client lets it go.
//
// It attaches to the path of a save at three named points: the build
// options (debugBuild, from buildOptions), the start of a version
// (launchDebug, from launch; readyContext bounds its readiness) and the
// drain of an old one (untilFree).

// debugPoll is how often the session asks Delve whether a version is
// halted: an old version a client holds, a new one waiting for a client.
const debugPoll = 500 * time.Millisecond

// The messages of debug mode.
type (
	// launched: a version started under Delve on a helper goroutine (Delve
	// takes a few hundred milliseconds to listen), or failed to.
	launched struct {
		t    *target
		next *pending
		at   readiness
		p    Process
		err  error
	}
	// debugWaiting: a version started with debug_wait is halted with no
	// client attached (waiting), or no longer is.
	debugWaiting struct {
		t       *target
		v       *version
		waiting bool
	}
)

func (launched) isMessage()     {}
func (debugWaiting) isMessage() {}

// errDebugSocket is why debug mode stays off with socket activation.
var errDebugSocket = errors.New("debug mode does not work with socket activation (Delve passes the app no extra files): the app runs without the debugger; drop socket_activation to debug through the proxy")

// initDebug switches debug mode on at start when the config asks for it.
// It runs before the loop serves anything, like the graph load: finding
// dlv takes one `dlv version`.
func (s *Session) initDebug() {
	if !s.cfg.Debug {
		return
	}
	dlv, err := s.findDlv(s.ctx)
	if err != nil {
		s.emit(Event{Kind: KindError, Message: err.Error()})
		return
	}
	s.debug, s.dlv = true, dlv
}

// findDlv returns the dlv binary, or an error for the user that says why
// debug mode stays off.
func (s *Session) findDlv(ctx context.Context) (string, error) {
	if s.cfg.SocketActivation {
		return "", errDebugSocket
	}
	dlv, err := s.deps.runner.FindDlv(ctx)
	if err != nil {
		return "", fmt.Errorf("debug mode needs Delve, the app runs without the debugger: %w", err)
	}
	return dlv, nil
}

// SetDebug switches debug mode on or off and returns the mode now in force.
// A switch cancels any build in flight and rebuilds every running target,
// so that the next version runs in the new mode; a stopped target builds
// when it is started. Switching on fails (and debug mode stays off) when
// dlv is missing or too old, or with socket activation; the error says how
// to fix it and is also emitted as an error event.
func (s *Session) SetDebug(on bool) (bool, error) {
	var dlv string
	if on {
		var err error
		if dlv, err = s.findDlv(context.Background()); err != nil {
			s.emit(Event{Kind: KindError, Message: err.Error()})
			return false, err
		}
	}
	r, err := s.ask(func() any { return s.setDebug(on, dlv) })
	if err != nil {
		return false, err
	}
	return r.(bool), nil
}

// Debug reports whether debug mode is on.
func (s *Session) Debug() (bool, error) {
	r, err := s.ask(func() any { return s.debug })
	if err != nil {
		return false, err
	}
	return r.(bool), nil
}

func (s *Session) setDebug(on bool, dlv string) bool {
	if on {
		s.dlv = dlv
	}
	if s.debug == on {
		return on
	}
	s.debug = on
	reason := "debug mode off"
	if on {
		reason = "debug mode on"
	}
	for _, t := range s.each() {
		if !t.stopped {
			s.startBuild(t, CauseManual, reason)
		}
	}
	return on
}

// debugBuild adds debug mode to the build options: a build for Delve of
// the workspace's modules, into a directory of its own so that each
// binary says how it was built (see isDebugBin).
func (s *Session) debugBuild(o build.Options) build.Options {
	if !s.debug {
		return o
	}
	o.Debug = true
	o.Modules = s.graph.Modules()
	o.OutDir = filepath.Join(o.OutDir, "debug")
	return o
}

// isDebugBin reports whether bin was built for Delve.
func (s *Session) isDebugBin(bin string) bool {
	return s.cache != nil && filepath.Dir(bin) == filepath.Join(s.cache.bin, "debug") || s.debugBins[bin]
}

// binFits reports whether bin was built for the current mode, so that a
// start or restart may run it rather than build.
func (s *Session) binFits(bin string) bool { return s.isDebugBin(bin) == s.debug }

// launchDebug starts a version under Delve on a helper goroutine, which
// reports launched, when debug mode is on and bin was built for it. It
// returns false when the version runs without Delve.
func (s *Session) launchDebug(t *target, next *pending, spec run.Spec, at readiness) bool {
	if !s.debug || s.dlv == "" || !s.isDebugBin(next.bin) || t.sock != nil {
		return false
	}
	spec.Debug = &run.DebugSpec{Dlv: s.dlv, Wait: s.cfg.DebugWait}
	s.spawn(func() {
		p, err := s.deps.runner.Start(spec)
		select {
		case s.msgs <- launched{t: t, next: next, at: at, p: p, err: err}:
		case <-s.done:
			if err == nil {
				_ = p.Stop() // the session ended meanwhile
			}
		}
	})
	return true
}

// onLaunched goes on with a version started under Delve, unless the
// target was stopped or started again meanwhile.
func (s *Session) onLaunched(m launched) {
	t := m.t
	if m.err == nil && (t.stopped || m.next.id != t.startID) {
		p := m.p
		s.spawn(func() { _ = p.Stop() })
		return
	}
	if m.err != nil {
		m.err = fmt.Errorf("starting the app under Delve: %w", m.err)
	}
	s.started(t, m.next, m.at, m.p, m.err)
}

// readyContext bounds the readiness wait of v by timeout. A version that
// started halted (debug_wait) is not timed out while it is halted in the
// debugger: a helper goroutine asks Delve every debugPoll, pushes the
// deadline back while the app is halted, and reports when it waits for a
// client.
func (s *Session) readyContext(t *target, v *version, timeout time.Duration) (context.Context, context.CancelFunc) {
	if v.debugAddr == "" || !s.cfg.DebugWait {
		return context.WithTimeout(s.ctx, timeout)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	p := v.p
	s.spawn(func() {
		deadline := time.Now().Add(timeout)
		waiting := false
		tick := time.NewTicker(debugPoll)
		defer tick.Stop()
		for {
			qctx, qcancel := context.WithTimeout(ctx, 2*debugPoll)
			st, err := p.DebugState(qctx)
			qcancel()
			halted := err == nil && st.Stopped && !st.Exited
			if halted {
				deadline = time.Now().Add(timeout)
			}
			if w := halted && st.Clients == 0; w != waiting {
				waiting = w
				select {
				case s.msgs <- debugWaiting{t: t, v: v, waiting: w}:
				case <-ctx.Done():
					return
				}
			}
			if time.Now().After(deadline) {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return ctx, cancel
}

// onDebugWaiting records that a starting version waits for a debugger.
// Editors attach to it from then on (the status names its address); with
// no version serving, the proxy holds requests and says why.
func (s *Session) onDebugWaiting(m debugWaiting) {
	t, v := m.t, m.v
	if v.retiring || v.ready {
		return
	}
	v.waiting = m.waiting
	if !m.waiting {
		return
	}
	v.awaited = true
	msg := waitingFor(v)
	s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: msg + " (debug_wait): it runs once the debugger continues"})
	if t.router != nil && t.cur == nil {
		t.router.Hold(msg)
	}
}

// waitingFor says that v waits for a debugger.
func waitingFor(v *version) string {
	return "waiting for a debugger to attach to " + v.debugAddr
}

// untilFree returns a function that blocks until no debugger client holds
// old halted, for drain to call before it waits for old's requests: the
// user inspecting a request at a breakpoint keeps the version (and the
// request, which then finishes normally) until they continue or detach,
// while the proxy already sends new requests to the new version. It asks
// Delve every debugPoll and says once that it keeps old. It returns at once
// for a version without Delve, when old exits (a stop retires it at once),
// and when the session ends.
func (s *Session) untilFree(t *target, old *version) func() {
	if old.debugAddr == "" {
		return func() {}
	}
	p, gen, name := old.p, t.generation, t.pkg.Name
	return func() {
		said := false
		for {
			ctx, cancel := context.WithTimeout(s.ctx, 2*debugPoll)
			st, err := p.DebugState(ctx)
			cancel()
			if err != nil || !st.Busy() {
				return
			}
			if !said {
				said = true
				s.emit(Event{Kind: KindWarn, Target: name, PID: p.AppPID(), Message: fmt.Sprintf(
					"the previous version (pid %d) is halted in the debugger: it stops once you continue or detach; new requests go to generation %d", p.AppPID(), gen)})
			}
			select {
			case <-time.After(debugPoll):
			case <-p.Exited():
				return
			case <-s.ctx.Done():
				return
			}
		}
	}
}

// debugStatus adds debug mode to the status of t: where to attach, and
// that a starting version waits for a debugger.
func (t *target) debugStatus(ts *TargetStatus) {
	for i := len(t.versions) - 1; i >= 0; i-- {
		v := t.versions[i]
		if v.debugAddr == "" || v.retiring || (v != t.cur && !v.awaited) {
			continue
		}
		ts.Debug = v.debugAddr
		if v.waiting && !v.ready && ts.Error == "" {
			ts.Error = waitingFor(v)
		}
		return
	}
}
