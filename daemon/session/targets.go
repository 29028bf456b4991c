package session

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ginhotd/ginhotd/analysis"
	"github.com/ginhotd/ginhotd/daemon/proxy"
)

// This file keeps the session's targets in step with the package graph.
// Targets are known by import path: after every graph load, a main the
// target rules select that the session does not have yet becomes a target
// (its own address, its first build), a target whose main is gone stops
// (its versions drain and stop, the status says why) and starts again if
// it comes back. Nothing is matched by position.

// reloadGraph loads the package graph again in the background; decisions
// keep using the old graph until the new one is in. A reload never fails
// for a target that is missing: the graph says so (KeepGoing).
func (s *Session) reloadGraph() {
	if s.reloading {
		return
	}
	s.reloading = true
	opts := s.analysisOptions()
	opts.KeepGoing = true
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
	s.reconcile()
	s.setInterest()
}

// reconcile brings the targets in line with the graph: new mains start,
// vanished ones stop, returning ones start again, and what the graph could
// not find is said once.
func (s *Session) reconcile() {
	want := map[string]analysis.Target{}
	for _, at := range s.graph.Targets() {
		want[at.Path] = at
	}
	for _, t := range s.each() {
		if _, ok := want[t.pkg.Path]; !ok && t.gone == "" {
			s.vanish(t, goneReason(t.pkg))
		}
	}
	for _, at := range s.graph.Targets() {
		t := s.targets[at.Path]
		switch {
		case t == nil:
			t, err := s.addTarget(at)
			if err != nil {
				s.emit(Event{Kind: KindError, Target: at.Name, Message: fmt.Sprintf("new main package %s: %v", at.Name, err)})
				continue
			}
			s.emit(Event{Kind: KindTargetAdded, Target: at.Name, Reason: "a new main package", URL: t.url})
			s.startBuild(t, CauseFileChange, "first build of a new target")
		case t.gone != "":
			t.returned(at)
			s.emit(Event{Kind: KindTargetAdded, Target: at.Name, Reason: "its main package is back", URL: t.url})
			s.startBuild(t, CauseFileChange, "its main package is back")
		default:
			t.pkg = at // Cgo and the files may have changed
		}
	}
	if missing := strings.Join(s.graph.Missing(), "; "); missing != s.missing {
		s.missing = missing
		if missing != "" {
			s.emit(Event{Kind: KindError, Message: missing + " (fix targets in ginhot.toml, or bring the package back)"})
		}
	}
}

// goneReason says why the main package at was dropped from the targets.
func goneReason(at analysis.Target) string {
	if _, err := os.Stat(at.Dir); err != nil {
		return at.Name + " was deleted or renamed"
	}
	return at.Name + " is no longer a main package the targets take"
}

// addTarget makes a target of the main package at and claims its public
// address; its first build is the caller's.
func (s *Session) addTarget(at analysis.Target) (*target, error) {
	t := &target{pkg: at, mainFile: mainFile(at.Dir), appPort: s.ownPorts[at.Path]}
	if err := s.claim(t); err != nil {
		return nil, err
	}
	s.targets[at.Path] = t
	s.order = append(s.order, at.Path)
	return t, nil
}

// vanish stops t because its main package is gone: its build is cancelled
// and its versions stop; it keeps its address, where the proxy says why,
// in case the package comes back.
func (s *Session) vanish(t *target, reason string) {
	s.stopVersions(t)
	if t.router != nil {
		t.router.Gone(reason + ": nothing serves here until it comes back.")
	}
	if t.vanished(reason) {
		s.diagDirty = true
	}
	s.emit(Event{Kind: KindTargetRemoved, Target: t.pkg.Name, Reason: reason})
}

// claim gives t its public address: the configured one for the first
// target, then, for each new one, the next port that is free. A target
// keeps its address for the session, so a new main never shifts another's.
// An address the user chose is claimed as it is, or fails; ginhotd's
// default (config's AddrAuto), when taken by another project's daemon or
// any dev server, moves to the next free port, and says so, as dev servers
// such as Vite do. The port an app listens on by itself is left to it.
func (s *Session) claim(t *target) error {
	host, port, err := splitAddr(s.cfg.Addr)
	if err != nil {
		return err
	}
	first := len(s.order) == 0
	own := t.appPort == fmt.Sprint(port) && s.cfg.Proxy
	if port == 0 || first && !s.cfg.AddrAuto && !own {
		s.nextPort = port + min(port, 1)
		return s.listen(t, net.JoinHostPort(host, fmt.Sprint(port)), false)
	}
	if !first {
		return s.claimFrom(t, host, s.nextPort)
	}
	if err := s.claimFrom(t, host, port); err != nil {
		return err
	}
	if _, got, _ := net.SplitHostPort(t.addr); got == fmt.Sprint(port) {
		return nil // the address it was given ("0.0.0.0:8080" is bound as "[::]:8080")
	}
	why := "is in use (another ginhotd or dev server?)"
	if own {
		why = "is where " + t.pkg.Name + " listens by itself (remembered)"
	}
	s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s %s: serving %s at %s instead; pick an address with --addr", net.JoinHostPort(host, fmt.Sprint(port)), why, t.pkg.Name, t.url)})
	return nil
}

// claimFrom claims for t the first free port from port on, skipping the
// one its app listens on by itself.
func (s *Session) claimFrom(t *target, host string, port int) error {
	for tries := 0; ; tries++ {
		p := port + tries
		s.nextPort = p + 1
		if fmt.Sprint(p) == t.appPort && s.cfg.Proxy {
			continue
		}
		err := s.listen(t, net.JoinHostPort(host, fmt.Sprint(p)), true)
		if err == nil || tries == maxPortTries || p >= 65535 {
			return err
		}
	}
}

// maxPortTries bounds how many taken ports a target skips.
const maxPortTries = 20

// listen claims the public address of t according to the mode. In
// no-proxy mode the app binds it; probe then checks that it is free now.
func (s *Session) listen(t *target, addr string, probe bool) error {
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
			PublicAddr:  addr,
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
		} else if probe {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("session: %s is taken: %w", addr, err)
			}
			_ = ln.Close()
		}
		t.addr = addr
	}
	t.url = urlOf(t.addr)
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
