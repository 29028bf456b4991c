package session

import (
	"context"
	"fmt"
	"net"
	"net/http"
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
	// Inputs lists the files the build of target i reads.
	Inputs(i int) []string
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
	// Ready blocks until p serves as at says, and returns a *startError
	// when p exits first, never listens, or listens on the wrong port.
	Ready(ctx context.Context, p Process, at readiness) error
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
	addr   string // the address it must accept on ("" in socket mode)
	port   string // the PORT it was given ("" in socket mode)
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

// Ready waits until p accepts connections on at.addr, or, in socket mode,
// until it has stayed up for a short while (the shared socket accepts from
// the start). Once a second it checks whether the app listens on another
// port than the PORT it was given.
func (procRunner) Ready(ctx context.Context, p Process, at readiness) error {
	if at.socket {
		select {
		case <-p.Exited():
			return exitError(p, true)
		case <-time.After(socketSettle):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan error, 1)
	go func() { ready <- run.WaitListening(ctx, at.addr) }()
	stop := func(err error) error {
		cancel()
		<-ready
		return err
	}
	wrongPort := time.NewTicker(time.Second)
	defer wrongPort.Stop()
	for {
		select {
		case err := <-ready:
			if err != nil {
				return &startError{msg: fmt.Sprintf("the app did not listen on %s within %s", at.addr, at.timeout), fix: true}
			}
			return nil
		case <-p.Exited():
			return stop(exitError(p, false))
		case <-wrongPort.C:
			ports, _ := run.ListeningPorts(p.AppPID())
			if len(ports) > 0 && !containsPort(ports, at.port) {
				return stop(&startError{msg: fmt.Sprintf("the app listens on port %v, not on PORT=%s: use r.Run() with no address (or read the PORT variable), or run ginhotd with --no-proxy", ports, at.port), fix: true})
			}
		}
	}
}

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
func (r proxyRouter) ClearFail()         { r.p.ClearFail() }

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
