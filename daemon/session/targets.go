package session

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/proxy"
)

// reloadGraph loads the package graph again in the background; decisions
// keep using the old graph until the new one is in.
func (s *Session) reloadGraph() {
	if s.reloading {
		return
	}
	s.reloading = true
	opts := s.analysisOptions()
	s.spawn(func() {
		g, err := s.deps.load(s.ctx, opts)
		s.send(graphLoaded{g: g, err: err})
	})
}

func (s *Session) onLoaded(m graphLoaded) {
	s.reloading = false
	if m.err != nil {
		if s.ctx.Err() == nil {
			s.emit(Event{Kind: KindError, Message: fmt.Sprintf("reloading the package graph: %v (decisions use the previous graph)", m.err)})
		}
		return
	}
	s.graph = m.g
}

// listen claims the public address of t according to the mode.
func (s *Session) listen(t *target, addr string) error {
	switch {
	case s.cfg.SocketActivation:
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("session: listen on %s: %w (is another ginhotd or the app itself running? pick another with --addr)", addr, err)
		}
		t.addr = ln.Addr().String()
		f, err := ln.(*net.TCPListener).File()
		_ = ln.Close()
		if err != nil {
			return fmt.Errorf("session: socket activation: %w", err)
		}
		t.sock = f
	case s.cfg.Proxy:
		r, bound, err := s.deps.listen(addr, proxy.Options{
			HoldTimeout: s.cfg.HoldTimeout.D(),
			LiveReload:  s.cfg.LiveReload,
		})
		if err != nil {
			return err
		}
		t.router, t.addr = r, bound
	default:
		// The app binds the address itself; port 0 means any free port,
		// chosen now so that every version gets the same one.
		host, port, _ := net.SplitHostPort(addr)
		if port == "0" {
			p, err := s.deps.runner.FreePort()
			if err != nil {
				return err
			}
			addr = net.JoinHostPort(host, p)
		}
		t.addr = addr
	}
	t.url = "http://" + t.addr
	return nil
}

func splitAddr(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("session: addr %q: %w", addr, err)
	}
	var port int
	if _, err := fmt.Sscan(ps, &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("session: addr %q: bad port", addr)
	}
	return host, port, nil
}

// mainFile returns the file of the main package in dir that declares main,
// or the first Go file.
func mainFile(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte("func main()")) {
			return f
		}
	}
	if len(files) > 0 {
		return files[0]
	}
	return filepath.Join(dir, "main.go")
}
