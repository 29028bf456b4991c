package session

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/build"
	"github.com/ginhotd/ginhotd/daemon/guard"
	"github.com/ginhotd/ginhotd/daemon/proxy"
	"github.com/ginhotd/ginhotd/daemon/run"
	"github.com/ginhotd/ginhotd/daemon/watch"
)

// The session drives the leaves through the small interfaces below. [New]
// plugs in the real ones; the package's tests plug in fakes, so the state
// machine is tested without go, processes or sockets.

// Graph is what the session asks of the package graph ([analysis.Graph]).
type Graph interface {
	Targets() []analysis.Target
	Roots() []string
	Classify(paths []string) analysis.Result
	Explain(path string) string
	// Inputs lists the files the build of the target with import path
	// target reads.
	Inputs(target string) []string
	// Missing says why named targets, or any target, could not be found
	// (the graph is loaded with KeepGoing).
	Missing() []string
	// Notice says how the targets were chosen when that needs saying ("" if not).
	Notice() string
	// Modules are the module paths of the local modules (debug builds).
	Modules() []string
}

// Watcher is the file watcher ([watch.Watcher]).
type Watcher interface {
	Batches() <-chan watch.Batch
	Notify(tag string, paths ...string)
	// SetInterest names what the poller of silent mounts stats.
	SetInterest(paths, globs []string)
	// Mode says how changes are seen ("inotify", "polling every 500ms").
	Mode() string
	Close() error
}

// Builder builds one target ([build.Run]).
type Builder interface {
	Build(ctx context.Context, opts build.Options, target string) (build.Result, error)
}

// Store keeps built binaries by content key ([build.Store]).
type Store interface {
	Get(key string) (string, bool)
	Put(key, binary string) (string, error)
	Keep(paths ...string)
}

// StepRunner runs one generator step ([build.RunStep]).
type StepRunner interface {
	Run(ctx context.Context, opts build.StepOptions) (build.StepResult, error)
}

// realSteps runs steps as processes.
type realSteps struct{}

func (realSteps) Run(ctx context.Context, opts build.StepOptions) (build.StepResult, error) {
	return build.RunStep(ctx, opts)
}

// Process is one started version of an app ([run.Process]).
type Process interface {
	// AppPID is the app's own pid: the process's, or under Delve Delve's
	// child.
	AppPID() int
	Exited() <-chan struct{}
	ExitErr() error
	Tail() []string
	Stop() error
	// DebugAddr is where Delve listens ("" when not started under Delve).
	DebugAddr() string
	// DebugState tells whether the app is halted in the debugger and how
	// many clients are attached (debug mode only).
	DebugState(ctx context.Context) (run.DebugState, error)
}

// Runner starts app processes and tells when they are ready.
type Runner interface {
	Start(spec run.Spec) (Process, error)
	// Ready blocks until p serves as at says and returns the port it
	// serves on: at.port, or an address of its own it listens on instead.
	// It returns a *startError when p exits first or never listens.
	Ready(ctx context.Context, p Process, at readiness) (string, error)
	// FreePort returns a free loopback port for a new version.
	FreePort() (string, error)
	// WaitPortFree blocks until nothing accepts on addr.
	WaitPortFree(ctx context.Context, addr string) error
	// FindDlv returns the dlv binary to start debug versions with, or an
	// error that says how to install it ([run.FindDlv]).
	FindDlv(ctx context.Context) (string, error)
}

// readiness says how to tell that a new version serves.
type readiness struct {
	addr   string // the address it is expected to accept on ("" in socket mode)
	port   string // the port of addr: its PORT, or its own port once learned ("" in socket mode)
	prefer string // of the ports it may listen on instead, the one to take first (the public one)
	socket bool   // socket activation: ready once it stays up for a while
	// timeout bounds the wait (the caller's ctx enforces it); for messages.
	timeout time.Duration
}

// Router is the reverse proxy in front of a target ([proxy.Proxy]) together
// with the server that feeds it.
type Router interface {
	// Switch routes new requests to addr and returns the previous backend
	// (nil if none) for draining.
	Switch(addr string) Drainer
	Hold(reason string)
	// Pause holds new requests, as Hold, and returns the backend serving
	// so far (nil if none), to drain before its version stops.
	Pause(reason string) Drainer
	// Gone answers every request at once with reason until the next
	// Switch: nothing will serve (the target's main package is gone).
	Gone(reason string)
	Fail(reason string)
	ClearFail()
	Close() error
}

// Drainer is a backend that was switched away from ([proxy.Backend]).
type Drainer interface {
	Drain(ctx context.Context) error
}

// deps are the leaves one session drives.
type deps struct {
	load    func(ctx context.Context, opts analysis.Options) (Graph, error)
	watch   func(opts watch.Options) (Watcher, error)
	builder Builder
	runner  Runner
	steps   StepRunner
	// listen claims addr for a proxy and returns it with the address it got.
	listen func(addr string, opts proxy.Options) (Router, string, error)
	// guard starts the watchdog that kills every process group the
	// session registers if the daemon dies (nil: none).
	guard func(logf func(string, ...any)) (*guard.Guard, error)
	// store opens the binary store in dir.
	store func(dir string) (Store, error)
}

// realDeps are the production leaves.
func realDeps() deps {
	return deps{
		load: func(ctx context.Context, opts analysis.Options) (Graph, error) {
			g, err := analysis.Load(ctx, opts)
			if err != nil {
				return nil, err
			}
			return g, nil
		},
		watch: func(opts watch.Options) (Watcher, error) {
			w, err := watch.New(opts)
			if err != nil {
				return nil, err
			}
			return w, nil
		},
		builder: goBuilder{},
		runner:  procRunner{},
		steps:   realSteps{},
		listen:  listenProxy,
		guard:   guard.Start,
		store: func(dir string) (Store, error) {
			st, err := build.NewStore(dir, build.DefaultStoreEntries, build.DefaultStoreBytes)
			if err != nil {
				return nil, err
			}
			return st, nil
		},
	}
}

// goBuilder runs `go build`.
type goBuilder struct{}

func (goBuilder) Build(ctx context.Context, opts build.Options, target string) (build.Result, error) {
	return build.Run(ctx, opts, target)
}

// procRunner starts real processes.
type procRunner struct{}

func (procRunner) Start(spec run.Spec) (Process, error) {
	p, err := run.Start(spec)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (procRunner) FreePort() (string, error) { return freePort() }

func (procRunner) WaitPortFree(ctx context.Context, addr string) error {
	return run.WaitPortFree(ctx, addr)
}

func (procRunner) FindDlv(ctx context.Context) (string, error) { return run.FindDlv(ctx) }

// Ready waits until one of p's own sockets accepts connections: on
// at.port, or on an address the app chose itself (run.WaitServing), or, in
// socket mode, until it has stayed up for a short while (the shared socket
// accepts from the start).
func (procRunner) Ready(ctx context.Context, p Process, at readiness) (string, error) {
	if at.socket {
		select {
		case <-p.Exited():
			return "", exitError(p, true)
		case <-time.After(socketSettle):
			return "", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type served struct {
		port int
		err  error
	}
	ready := make(chan served, 1)
	want, _ := strconv.Atoi(at.port)
	prefer, _ := strconv.Atoi(at.prefer)
	go func() {
		port, err := run.WaitServing(ctx, p.AppPID(), want, prefer, ownSettle)
		ready <- served{port, err}
	}()
	select {
	case r := <-ready:
		if r.err != nil {
			return "", &startError{msg: fmt.Sprintf("the app did not listen on PORT=%s, nor on an address of its own, within %s", at.port, at.timeout), fix: true}
		}
		return strconv.Itoa(r.port), nil
	case <-p.Exited():
		cancel()
		<-ready
		return "", exitError(p, false)
	}
}

// ownSettle is how long a version must listen on ports other than its PORT
// and the one it is known to prefer before one of them is taken as the
// address it serves on (an app may open a pprof or metrics port before
// connecting to its database and listening on its main one).
const ownSettle = time.Second

// socketSettle is how long a version must stay up in socket-activation mode
// to count as ready.
const socketSettle = 300 * time.Millisecond

// proxyRouter is a [proxy.Proxy] served on its own listener.
type proxyRouter struct {
	p   *proxy.Proxy
	srv *http.Server
}

func listenProxy(addr string, opts proxy.Options) (Router, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("session: listen on %s: %w (is another ginhotd or the app itself running? pick another with --addr)", addr, err)
	}
	r := proxyRouter{p: proxy.New(opts)}
	r.srv = &http.Server{Handler: r.p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, ln.Addr().String(), nil
}

func (r proxyRouter) Switch(addr string) Drainer {
	if b := r.p.Switch(addr); b != nil {
		return b
	}
	return nil
}

func (r proxyRouter) Hold(reason string) { r.p.Hold(reason) }
func (r proxyRouter) Fail(reason string) { r.p.Fail(reason) }
func (r proxyRouter) Gone(reason string) { r.p.Gone(reason) }

func (r proxyRouter) Pause(reason string) Drainer {
	if b := r.p.Pause(reason); b != nil {
		return b
	}
	return nil
}
func (r proxyRouter) ClearFail() { r.p.ClearFail() }

func (r proxyRouter) Close() error {
	r.p.Close()
	return r.srv.Close()
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
