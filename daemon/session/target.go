package session

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

// This file holds what the session knows of a target and of its versions,
// the one function that derives a target's visible state from those facts,
// and the messages helper goroutines send about them.

// target is the run-time state of one main package, known by its import
// path for the whole session: its public address stays when other mains
// come and go, and when its own main package goes and comes back. The loop
// alone reads and writes it; helper goroutines get immutable values and
// answer with messages.
type target struct {
	pkg      analysis.Target
	mainFile string // the file that declares main, for diagnostics about the whole app
	addr     string // public address: the proxy's, the shared socket's or the app's own
	url      string
	router   Router   // proxy mode only
	sock     *os.File // socket-activation mode only
	// appPort is the port the app listens on by itself, learned from its
	// versions' sockets ("" while it honours PORT, or --addr without the
	// proxy): reloads then stop the old version before the new one starts.
	appPort string

	// The facts the visible state derives from ([target.state]), besides
	// the build in flight, the start in flight and the serving version.
	fault      fault  // the last failure, until something serves or builds again
	err        string // what it was, for the user
	gone       string // why the main package is no longer a target; "" while it is
	starting   bool   // a start is in flight (it may wait for the old version to free the address)
	generation int
	buildMs    int64

	changeAt   time.Time // when the change being acted on was seen
	decisionUS int64

	buildID     int
	buildCancel context.CancelFunc

	startID    int
	retries    int        // crash restarts since the last good binary or healthy run
	parked     string     // the binary it gave up restarting; it waits for a change or a restart command
	lastOutput string     // the app output of the last failure, shown once per distinct failure
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

// fault is the kind of a target's last failure.
type fault int

const (
	noFault    fault = iota
	buildFault       // the build, or a step before it, failed, or go is missing
	startFault       // a new version never became ready
	crashFault       // the serving version exited on its own
)

// setFault records a failure of t with the message for the user.
func (t *target) setFault(f fault, msg string) { t.fault, t.err = f, msg }

// clearFault forgets t's last failure.
func (t *target) clearFault() { t.fault, t.err = noFault, "" }

// building reports whether a build for t is in flight, its own or a
// speculative one a save waits for.
func (t *target) building() bool { return t.buildCancel != nil || t.awaiting != "" }

// state derives what the user sees of t from its facts; doc.go draws the
// transitions.
func (t *target) state() State {
	switch {
	case t.stopped || t.gone != "":
		return StateStopped
	case t.building():
		return StateBuilding
	case t.starting:
		return StateStarting
	case t.cur != nil && t.fault == noFault:
		return StateRunning
	case t.cur != nil || t.fault == buildFault:
		return StateFailed
	case t.fault != noFault:
		return StateCrashed
	}
	return StateIdle
}

// pid is the app's pid to show: the version starting, else the serving one.
func (t *target) pid() int {
	for i := len(t.versions) - 1; i >= 0; i-- {
		if v := t.versions[i]; v.id == t.startID && !v.retiring && v.p != nil {
			return v.p.AppPID()
		}
	}
	if t.cur != nil {
		return t.cur.p.AppPID()
	}
	return 0
}

// status is what ginhot/status says of t.
func (t *target) status() TargetStatus {
	ts := TargetStatus{
		Package:    t.pkg.Path,
		Name:       t.pkg.Name,
		MainFile:   t.mainFile,
		State:      t.state(),
		PID:        t.pid(),
		URL:        t.url,
		Generation: t.generation,
		Serving:    t.cur != nil,
		Prepared:   t.cur != nil && t.cur.prepared,
		BuildMs:    t.buildMs,
		Error:      t.err,
	}
	if t.gone != "" {
		ts.Error = t.gone
	}
	if t.parked != "" {
		ts.Error += " (gave up restarting: save a change or run the restart command)"
	}
	t.debugStatus(&ts)
	return ts
}

// The transitions below change a target's facts and nothing else: the
// session calls them and does the work around them (processes, events,
// the proxy), so that each state change happens in one place.

// buildStarted records a build of the content key started for cause, with
// cancel to stop it, and returns its id; an older build is cancelled, and
// its result, if it still comes, is dropped (the latest change wins).
func (t *target) buildStarted(cancel context.CancelFunc, key string, cause Cause) int {
	if t.buildCancel != nil {
		t.buildCancel()
	}
	t.buildCancel, t.buildKey = cancel, key
	t.buildID++
	if t.changeAt.IsZero() || (cause != CauseFileChange && cause != CauseDidSave) {
		t.changeAt = time.Now()
	}
	t.decisionUS = 0
	return t.buildID
}

// buildEnded records that the build in flight ended after d.
func (t *target) buildEnded(d time.Duration) {
	t.buildCancel, t.buildKey = nil, ""
	t.buildMs = d.Milliseconds()
}

// abandonBuild stops t's build in flight; its result, if it still comes, is
// dropped.
func (t *target) abandonBuild() {
	if t.buildCancel != nil {
		t.buildCancel()
		t.buildCancel = nil
		t.buildID++
	}
	t.buildKey = ""
}

// binaryGood records a good binary, built or reused: the build errors and
// the last fault are over. It reports whether the diagnostics changed.
func (t *target) binaryGood() bool {
	t.clearFault()
	t.healthy()
	changed := t.buildDiags != nil
	t.buildDiags = nil
	return changed
}

// healthy restarts t's crash backoff from its first step: a new binary, or
// a version that ran well for a while, is no crash loop.
func (t *target) healthy() {
	t.backoff.Reset()
	t.retries, t.parked = 0, ""
}

// newOutput reports whether out, the app output of a failure, differs
// from the last failure's, and records it.
func (t *target) newOutput(out string) bool {
	if out == t.lastOutput {
		return false
	}
	t.lastOutput = out
	return true
}

// buildBroke records that the build in flight, or a step before it, failed
// with msg and diags.
func (t *target) buildBroke(msg string, diags []build.Diagnostic) {
	t.buildCancel, t.buildKey = nil, ""
	t.setFault(buildFault, msg)
	t.buildDiags = diags
}

// startRequested records that bin (of the content key, prepared before its
// save or not) is to start as t's next version, and returns that start.
func (t *target) startRequested(bin, key string, cause Cause, prepared bool) *pending {
	t.startID++
	t.starting, t.parked = true, ""
	t.stopRetry()
	return &pending{id: t.startID, bin: bin, key: key, cause: cause, prepared: prepared}
}

// startFailed records that the start in flight failed with reason.
func (t *target) startFailed(reason string) {
	t.starting = false
	t.setFault(startFault, reason)
}

// promote makes v the serving version and returns the one it replaces
// (nil if none). It reports whether the diagnostics changed.
func (t *target) promote(v *version) (old *version, diagsChanged bool) {
	old, t.cur = t.cur, v
	v.ready = true
	t.generation++
	t.starting = false
	t.clearFault()
	t.changeAt = time.Time{}
	diagsChanged = t.runDiags != nil
	t.runDiags = nil
	return old, diagsChanged
}

// crashed records that the serving version exited on its own with reason.
func (t *target) crashed(reason string) {
	t.cur = nil
	t.setFault(crashFault, reason)
}

// retiring marks v as being stopped on purpose; false if it already was.
func (t *target) retiring(v *version) bool {
	if v.retiring {
		return false
	}
	v.retiring = true
	if t.cur == v {
		t.cur = nil
	}
	return true
}

// forget drops v from t's live versions.
func (t *target) forget(v *version) {
	t.versions = slices.DeleteFunc(t.versions, func(w *version) bool { return w == v })
}

// halt ends everything in flight for t, build, start and crash restart,
// and returns the versions still alive, for the caller to retire.
func (t *target) halt() []*version {
	t.startID++
	t.starting = false
	t.abandonBuild()
	t.awaiting = ""
	if t.speculation != nil {
		t.speculation.cancel()
		t.speculation = nil
	}
	t.stopRetry()
	t.cur = nil
	return slices.Clone(t.versions)
}

// vanished records that t's main package is gone, for reason, once halt
// has ended what was in flight. It reports whether the diagnostics changed:
// a gone package has none.
func (t *target) vanished(reason string) bool {
	t.gone = reason
	t.clearFault()
	changed := t.buildDiags != nil || t.runDiags != nil
	t.buildDiags, t.runDiags = nil, nil
	return changed
}

// returned records that the main package of t is back, as at.
func (t *target) returned(at analysis.Target) {
	t.pkg, t.gone, t.mainFile = at, "", mainFile(at.Dir)
}

// stopRetry cancels a pending crash restart.
func (t *target) stopRetry() {
	if t.retryTimer != nil {
		t.retryTimer.Stop()
		t.retryTimer = nil
	}
}

// version is one started process of a target.
type version struct {
	p        Process
	id       int    // the target's startID when it was started
	bin      string // the binary it runs
	port     string // its PORT (proxy and no-proxy modes)
	start    time.Time
	changeAt time.Time // the change it answers
	cause    Cause     // what set off its start
	ready    bool      // it became ready
	retiring bool      // it is being stopped on purpose
	backend  Drainer   // proxy mode: its backend, once switched to
	next     *pending  // a start that waits for this version to stop (an app on a port of its own)
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
	// readied: a starting version is ready on port, or err says why it
	// is not.
	readied struct {
		t    *target
		v    *version
		port string
		err  error
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
