package lsp

import (
	"context"
	"fmt"
	"maps"

	"go.lsp.dev/protocol"

	"github.com/ginhotd/ginhotd/daemon/config"
	"github.com/ginhotd/ginhotd/daemon/session"
)

// folder is one workspace folder that holds a go.mod or go.work, and the
// session that runs it.
type folder struct {
	root root
	pres *presenter

	// Set once by startLocked, under server.mu. sess is nil until then, and
	// stays nil when the configuration could not be loaded.
	sess   *session.Session
	cancel context.CancelFunc
	done   chan struct{} // closed when sess.Run has returned
}

// addFolderLocked tracks the workspace folder r if it holds a Go module or
// workspace and is not tracked yet. It returns the new folder, or nil.
func (s *server) addFolderLocked(r root) *folder {
	for _, f := range s.folders {
		if f.root.path == r.path || f.root.real == r.real {
			return nil // the same folder, perhaps through a symbolic link
		}
	}
	if !r.isModule() {
		s.logf("lsp: workspace folder %s holds no go.mod or go.work; left alone", r.path)
		return nil
	}
	f := &folder{root: r}
	f.pres = newPresenter(s.out, r, s.progressToken, s.pathMap())
	s.folders = append(s.folders, f)
	return f
}

// startLocked loads f's configuration and runs its session until the
// server stops or the folder is removed. A folder whose configuration is
// broken, or whose session cannot run (no Gin main, not a module, go
// missing), is reported once with window/showMessage and left alone.
func (s *server) startLocked(f *folder) {
	if f.done != nil || s.closed {
		return
	}
	f.done = make(chan struct{})
	f.cancel = func() {}
	if s.hub != nil {
		s.hub.join(s, f)
		return
	}
	cfg, err := config.Load(f.root.path, s.opts.ConfigFile, s.overridesLocked())
	if err != nil {
		close(f.done)
		s.report(f, err)
		return
	}
	if cfg.ForContainer(s.opts.Container) {
		s.logf("lsp: workspace folder %s: in a container (%s): the app listens on %s, so that a published port reaches it", f.root.path, s.opts.Container, cfg.Addr)
	}
	ctx, cancel := context.WithCancel(s.base)
	f.cancel = cancel
	f.pres.complement = cfg.Diagnostics == "complement"
	f.sess = session.New(cfg, f.pres)
	sess, done := f.sess, f.done
	s.goLocked(func() {
		defer close(done)
		err := sess.Run(ctx)
		f.pres.close()
		if err != nil && ctx.Err() == nil {
			s.report(f, err)
		}
	})
}

// report tells the user that f cannot run, and why.
func (s *server) report(f *folder, err error) {
	s.logf("lsp: workspace folder %s: %v", f.root.path, err)
	s.out.showMessage(protocol.MessageTypeError, fmt.Sprintf("ginhotd: %s: %v", f.root.path, err))
}

// overridesLocked merges the settings: initializationOptions, then the
// command-line flags over them.
func (s *server) overridesLocked() map[string]any {
	m := maps.Clone(s.initOptions)
	if m == nil {
		m = map[string]any{}
	}
	maps.Copy(m, s.opts.Overrides)
	return m
}

// stopperLocked returns a function that stops f's session and waits until
// it has stopped its apps. Call it under server.mu; call the function it
// returns without.
func (f *folder) stopperLocked() func() {
	cancel, done := f.cancel, f.done
	return func() {
		if done != nil {
			cancel()
			<-done
		}
	}
}

// route returns the running session whose workspace folder holds the file
// named by the URI u, and the file's path. Non-file URIs and files outside
// every workspace folder are logged and ignored: route returns nil. The
// innermost folder wins.
func (s *server) route(u string) (*session.Session, string) {
	path, err := s.pathOf(u)
	if err != nil {
		s.logf("lsp: ignoring %v", err)
		return nil, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := innermost(s.folders, path)
	if f == nil {
		s.logf("lsp: ignoring %s: outside every workspace folder", u)
		return nil, ""
	}
	return f.sess, f.root.inSession(path)
}
