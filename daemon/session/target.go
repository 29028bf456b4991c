package session

import (
	"context"
	"os"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/run"
)

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

func (built) isMessage()          {}
func (readied) isMessage()        {}
func (versionExited) isMessage()  {}
func (drained) isMessage()        {}
func (versionStopped) isMessage() {}
func (retryDue) isMessage()       {}
func (graphLoaded) isMessage()    {}
