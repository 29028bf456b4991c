package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// ErrExitWithoutShutdown is wrapped by the error [Serve] returns when the
// connection ended (exit notification, end of input, cancelled context)
// before the client asked for shutdown. Per the LSP specification the
// process then exits with code 1; after shutdown it exits with 0.
var ErrExitWithoutShutdown = errors.New("lsp: connection ended without shutdown")

// Options configures [Serve] and [Listen].
type Options struct {
	// Logf receives the daemon's own log lines (cmd sends them to stderr,
	// never to stdout). Nil discards them.
	Logf func(format string, args ...any)
	// ConfigFile is the config file every workspace folder reads, like the
	// --config flag; "" means each folder's own ginhot.toml (or .air.toml).
	ConfigFile string
	// Overrides are settings from command-line flags, keyed by their
	// ginhot.toml names. Precedence, lowest first: the config file, the
	// client's initializationOptions, Overrides.
	Overrides map[string]any
	// Container says why the daemon seems to run in a container
	// ([config.DetectContainer]), or is empty. There a folder whose
	// settings choose no addr listens on [config.ContainerAddr], so that a
	// published port reaches it.
	Container string
}

// Timeouts of the connection's own work; stopping apps is bounded by each
// session's kill_timeout instead.
const (
	clientCallTimeout = 5 * time.Second        // window/workDoneProgress/create
	drainTimeout      = 500 * time.Millisecond // last notifications after the sessions stop
)

// lifecycle is the server's position in the LSP lifecycle.
type lifecycle int

const (
	stateNew         lifecycle = iota // before initialize
	stateInitialized                  // initialize answered, waiting for initialized
	stateRunning                      // initialized received: sessions run
	stateShutdown                     // shutdown received
)

// server is one LSP connection and the sessions it started.
type server struct {
	opts Options
	conn jsonrpc2.Conn
	out  *outbox
	docs *documents // the editor's open buffers

	// base is the parent context of every session; cancelled by stop.
	base context.Context
	// trusted is set on the editor's own channel (stdio, a unix socket),
	// not on TCP, which any local process can open: see checkTrust.
	trusted bool
	// hub shares sessions with the other connections of a listener; nil
	// on stdio.
	hub *hub

	// paths is the path_map setting, set by initialize before any folder
	// is tracked.
	paths atomic.Pointer[pathMap]

	exitOnce sync.Once
	exited   chan struct{} // closed by the exit notification

	work sync.WaitGroup // request goroutines and session goroutines

	mu          sync.Mutex // guards the fields below
	state       lifecycle
	progress    bool           // the client supports window/workDoneProgress
	initOptions map[string]any // the client's initializationOptions
	folders     []*folder      // in the client's order
	tokens      int            // progress tokens handed out
	closed      bool           // Serve is tearing down: no new goroutines
}

// Serve speaks LSP on conn until the client sends exit, the connection
// ends, or ctx is cancelled. Before returning it stops every session it
// started, so no app process outlives it, and closes conn. It returns nil
// when the client asked for shutdown first, and an error wrapping
// [ErrExitWithoutShutdown] otherwise. conn is trusted as the editor's own
// channel (stdio): its client may set every setting.
func Serve(ctx context.Context, conn io.ReadWriteCloser, opts Options) error {
	return serve(ctx, conn, opts, true, nil)
}

// serve is [Serve]; a connection that is not trusted is held to checkTrust,
// and one with a hub shares its sessions through it.
func serve(ctx context.Context, conn io.ReadWriteCloser, opts Options, trusted bool, h *hub) error {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &server{opts: opts, base: ctx, trusted: trusted, hub: h, exited: make(chan struct{}), docs: newDocuments()}
	s.conn = jsonrpc2.NewConn(newStream(conn, opts.Logf))
	s.out = newOutbox(s.conn, opts.Logf)
	go s.out.run()
	s.conn.Go(ctx, s.handle)

	var why error
	select {
	case <-s.exited:
		why = errors.New("exit notification")
	case <-s.conn.Done():
		why = s.conn.Err()
		if why == nil {
			why = io.EOF
		}
	case <-ctx.Done():
		why = ctx.Err()
	}
	s.mu.Lock()
	shutdown := s.state == stateShutdown
	s.state = stateShutdown
	s.closed = true
	s.mu.Unlock()

	s.stopFolders()
	cancel()
	s.work.Wait()
	s.out.drain(drainTimeout)
	_ = s.conn.Close()
	if shutdown {
		return nil
	}
	return fmt.Errorf("%w (%w)", ErrExitWithoutShutdown, why)
}

// goLocked runs fn on a goroutine that Serve waits for, unless Serve is
// already tearing down. Call it under s.mu.
func (s *server) goLocked(fn func()) {
	if s.closed {
		return
	}
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		fn()
	}()
}

func (s *server) logf(format string, args ...any) { s.opts.Logf(format, args...) }

// handle is the jsonrpc2 handler: it runs on the connection's reading
// goroutine, so it must not block. Requests that wait for a session run on
// their own goroutine. It always returns nil: an error would close the
// connection.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	_, isCall := req.(*jsonrpc2.Call)
	method := req.Method()
	if method == "exit" {
		s.exitOnce.Do(func() { close(s.exited) })
		return nil
	}
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch {
	case state == stateNew && method != "initialize":
		if isCall {
			return s.reply(ctx, reply, nil, jsonrpc2.NewError(jsonrpc2.ServerNotInitialized, "server not initialized: send initialize first"))
		}
		s.logf("lsp: dropped %s notification before initialize", method)
		return nil
	case state == stateShutdown:
		if isCall {
			return s.reply(ctx, reply, nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "server is shutting down: only exit is accepted"))
		}
		return nil
	}

	switch method {
	case "initialize":
		res, err := s.initialize(req.Params())
		return s.reply(ctx, reply, res, err)
	case "initialized":
		s.initialized()
	case "shutdown":
		s.shutdown(ctx, reply)
	case "textDocument/didSave":
		s.didSave(req.Params())
	case "workspace/didChangeWatchedFiles":
		s.didChangeWatchedFiles(req.Params())
	case "workspace/didChangeWorkspaceFolders":
		s.didChangeWorkspaceFolders(req.Params())
	case "workspace/executeCommand":
		s.mu.Lock()
		defer s.mu.Unlock()
		s.goLocked(func() {
			res, err := s.executeCommand(req.Params())
			_ = s.reply(ctx, reply, res, err)
		})
	case "textDocument/didOpen":
		s.didOpen(req.Params())
	case "textDocument/didChange":
		s.didChange(req.Params())
	case "textDocument/didClose":
		s.didClose(req.Params())
	default:
		if isCall {
			return s.reply(ctx, reply, nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound, fmt.Sprintf("method not found: %s", method)))
		}
		// Unknown notifications ($/setTrace, $/cancelRequest, …) are ignored.
	}
	return nil
}

// reply answers a request and logs a failure to send the answer.
func (s *server) reply(ctx context.Context, reply jsonrpc2.Replier, result any, err error) error {
	if rerr := reply(ctx, result, err); rerr != nil {
		s.logf("lsp: reply: %v", rerr)
	}
	return nil
}

// initializeParams is the part of InitializeParams the server reads. It is
// decoded on its own rather than as protocol.InitializeParams so that
// client capabilities newer than protocol v0.12.0 cannot fail initialize.
type initializeParams struct {
	RootURI               string                     `json:"rootUri"`
	RootPath              string                     `json:"rootPath"`
	WorkspaceFolders      []protocol.WorkspaceFolder `json:"workspaceFolders"`
	InitializationOptions json.RawMessage            `json:"initializationOptions"`
	Capabilities          struct {
		Window struct {
			WorkDoneProgress bool `json:"workDoneProgress"`
		} `json:"window"`
	} `json:"capabilities"`
}

// textDocumentSync is TextDocumentSyncOptions with "change" always present
// (protocol's type omits the None value).
type textDocumentSync struct {
	OpenClose bool                          `json:"openClose"`
	Change    protocol.TextDocumentSyncKind `json:"change"`
	Save      *protocol.SaveOptions         `json:"save"`
}

func (s *server) initialize(raw json.RawMessage) (*protocol.InitializeResult, error) {
	var p initializeParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, invalidParams("initialize: %v", err)
	}
	var opts map[string]any
	if len(p.InitializationOptions) > 0 && string(p.InitializationOptions) != "null" {
		if err := json.Unmarshal(p.InitializationOptions, &opts); err != nil {
			return nil, invalidParams("initializationOptions must be an object of ginhot.toml settings: %v", err)
		}
	}
	pm, ok := s.opts.Overrides["path_map"]
	if !ok {
		pm = opts["path_map"]
	}
	paths, err := newPathMap(pm)
	if err != nil {
		return nil, invalidParams("initializationOptions: %v", err)
	}
	s.paths.Store(&paths)
	p.RootURI = paths.in(p.RootURI)
	for i := range p.WorkspaceFolders {
		p.WorkspaceFolders[i].URI = paths.in(p.WorkspaceFolders[i].URI)
	}
	roots := p.roots(s.logf)
	for _, r := range roots {
		if _, err := os.Stat(r.path); errors.Is(err, fs.ErrNotExist) {
			return nil, invalidParams("workspace folder %s does not exist where ginhotd runs (in a container or WSL, say where it is with path_map in initializationOptions or --path-map, e.g. {\"path_map\": {\"%s\": \"/app\"}})", r.path, filepath.ToSlash(r.path))
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "initialize was already received")
	}
	if err := s.checkTrust(opts, roots); err != nil {
		s.logf("lsp: initialize refused: %v", err)
		return nil, err
	}
	s.state = stateInitialized
	s.progress = p.Capabilities.Window.WorkDoneProgress
	s.initOptions = opts
	for _, r := range roots {
		s.addFolderLocked(r)
	}
	return &protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: textDocumentSync{
				OpenClose: true,
				Change:    protocol.TextDocumentSyncKindIncremental,
				Save:      &protocol.SaveOptions{IncludeText: false},
			},
			ExecuteCommandProvider: &protocol.ExecuteCommandOptions{Commands: commandNames()},
			Workspace: &protocol.ServerCapabilitiesWorkspace{
				WorkspaceFolders: &protocol.ServerCapabilitiesWorkspaceFolders{
					Supported:           true,
					ChangeNotifications: true,
				},
			},
		},
		ServerInfo: &protocol.ServerInfo{Name: "ginhotd", Version: Version()},
	}, nil
}

// checkTrust refuses, on a connection that is not trusted (TCP, which any
// local process can open, including another user's), what would let the
// client run programs of its choosing as the user: config's program
// settings, and workspace folders the user does not own. Over TCP those
// settings come from the folder's own config file only.
func (s *server) checkTrust(opts map[string]any, roots []root) error {
	if s.trusted {
		return nil
	}
	keys, err := config.ProgramSettings(opts)
	if err != nil {
		return invalidParams("initializationOptions: %v", err)
	}
	if len(keys) > 0 {
		return invalidParams("initializationOptions set %s, which choose programs ginhotd runs; over TCP, which any local process can connect to, these come only from the workspace's %s: put them there, or connect with --stdio or --listen unix:PATH", strings.Join(keys, ", "), config.FileName)
	}
	for _, r := range roots {
		if err := s.checkFolder(r); err != nil {
			return invalidParams("%v", err)
		}
	}
	return nil
}

// checkFolder refuses, on a connection that is not trusted, a workspace
// folder holding a module that the user does not own or that others can
// write to: any local user could otherwise have ginhotd build and run code
// they wrote.
func (s *server) checkFolder(r root) error {
	if s.trusted || !r.isModule() {
		return nil
	}
	if err := ownedFolder(r.path); err != nil {
		return fmt.Errorf("workspace folder %s refused over TCP: %w; connect with --stdio or --listen unix:PATH to run it", r.path, err)
	}
	return nil
}

// roots returns the workspace roots of p: its workspace folders, else its
// rootUri, else its rootPath.
func (p *initializeParams) roots(logf func(string, ...any)) []root {
	var uris []string
	switch {
	case len(p.WorkspaceFolders) > 0:
		for _, f := range p.WorkspaceFolders {
			uris = append(uris, f.URI)
		}
	case p.RootURI != "":
		uris = append(uris, p.RootURI)
	case p.RootPath != "":
		r, err := newRoot(p.RootPath)
		if err != nil {
			logf("lsp: rootPath %q: %v", p.RootPath, err)
			return nil
		}
		return []root{r}
	}
	var roots []root
	for _, u := range uris {
		path, err := pathOf(u)
		if err == nil {
			var r root
			if r, err = newRoot(path); err == nil {
				roots = append(roots, r)
				continue
			}
		}
		logf("lsp: ignoring workspace folder %s: %v", u, err)
	}
	return roots
}

// Version is the module version ginhotd was built from, "(devel)" for a
// build from a work tree.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// initialized starts a session for every workspace folder.
func (s *server) initialized() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateInitialized {
		return
	}
	s.state = stateRunning
	for _, f := range s.folders {
		s.startLocked(f)
	}
	if len(s.folders) == 0 {
		s.out.showMessage(protocol.MessageTypeWarning, "ginhotd: no workspace folder holds a go.mod or go.work; open the module's folder to run its Gin app")
	}
}

// shutdown stops every session, then answers.
func (s *server) shutdown(ctx context.Context, reply jsonrpc2.Replier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = stateShutdown
	s.goLocked(func() {
		s.stopFolders()
		_ = s.reply(ctx, reply, nil, nil)
	})
}

func (s *server) didSave(raw json.RawMessage) {
	var p protocol.DidSaveTextDocumentParams
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didSave: %v", err)
		return
	}
	if sess, path := s.route(string(p.TextDocument.URI)); sess != nil {
		s.bufferSaved(sess, path)
		sess.Changed(session.CauseDidSave, path)
	}
}

func (s *server) didChangeWatchedFiles(raw json.RawMessage) {
	var p protocol.DidChangeWatchedFilesParams
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didChangeWatchedFiles: %v", err)
		return
	}
	paths := map[*session.Session][]string{}
	var order []*session.Session
	for _, c := range p.Changes {
		if c == nil {
			continue
		}
		sess, path := s.route(string(c.URI))
		if sess == nil {
			continue
		}
		if _, ok := paths[sess]; !ok {
			order = append(order, sess)
		}
		paths[sess] = append(paths[sess], path)
	}
	for _, sess := range order {
		sess.Changed(session.CauseFileChange, paths[sess]...)
	}
}

func (s *server) didChangeWorkspaceFolders(raw json.RawMessage) {
	var p protocol.DidChangeWorkspaceFoldersParams
	if err := json.Unmarshal(raw, &p); err != nil {
		s.logf("lsp: didChangeWorkspaceFolders: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wf := range p.Event.Removed {
		path, err := s.pathOf(wf.URI)
		if err != nil {
			s.logf("lsp: removed workspace folder %s: %v", wf.URI, err)
			continue
		}
		r, err := newRoot(path)
		if err != nil {
			continue
		}
		for i, f := range s.folders {
			if f.root.path == r.path {
				s.folders = append(s.folders[:i:i], s.folders[i+1:]...)
				stop := f.stopperLocked()
				s.goLocked(func() {
					stop()
					f.pres.clear()
				})
				break
			}
		}
	}
	for i := range p.Event.Added {
		p.Event.Added[i].URI = s.pathMap().in(p.Event.Added[i].URI)
	}
	for _, r := range (&initializeParams{WorkspaceFolders: p.Event.Added}).roots(s.logf) {
		if err := s.checkFolder(r); err != nil {
			s.logf("lsp: %v", err)
			s.out.showMessage(protocol.MessageTypeError, "ginhotd: "+err.Error())
			continue
		}
		if f := s.addFolderLocked(r); f != nil && s.state == stateRunning {
			s.startLocked(f)
		}
	}
}

// stopFolders stops every session and waits until their apps have stopped.
func (s *server) stopFolders() {
	s.mu.Lock()
	var stops []func()
	for _, f := range s.folders {
		if f.cancel != nil {
			f.cancel()
		}
		stops = append(stops, f.stopperLocked())
	}
	s.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// invalidParams is the InvalidParams error for a bad argument.
func invalidParams(format string, args ...any) error {
	return jsonrpc2.Errorf(jsonrpc2.InvalidParams, format, args...)
}

// pathMap returns the path_map setting (empty before initialize).
func (s *server) pathMap() pathMap {
	if m := s.paths.Load(); m != nil {
		return *m
	}
	return nil
}

// pathOf returns the daemon's path of the file the editor's URI u names.
func (s *server) pathOf(u string) (string, error) { return pathOf(s.pathMap().in(u)) }
