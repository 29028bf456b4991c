package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/run"
)

// This file is about apps that pick their own port (a config file's port,
// APP_PORT, a hard-coded ":8080") instead of reading PORT. A version's
// address is a fact learned from the version's own sockets (readiness);
// when it is not the PORT it was given, the target keeps the proxy in
// front and forwards to that port, and a reload becomes stop-then-start on
// it, with the proxy holding requests across the gap. When the port is the
// proxy's own address, the proxy moves to the next free port. What was
// learned is remembered per workspace, so the next session goes straight
// there.

// ownPortsFile, in the workspace's cache dir, remembers the targets that
// listen on a port of their own: import path → port.
const ownPortsFile = "ports.json"

// loadOwnPorts reads what earlier sessions learned.
func (s *Session) loadOwnPorts() {
	s.ownPorts = map[string]string{}
	if b, err := os.ReadFile(filepath.Join(s.cache.shared, ownPortsFile)); err == nil {
		_ = json.Unmarshal(b, &s.ownPorts)
	}
}

// rememberOwnPort records t's own port ("" once it honours PORT again)
// for the next session.
func (s *Session) rememberOwnPort(t *target) {
	if s.ownPorts[t.pkg.Path] == t.appPort {
		return
	}
	if t.appPort == "" {
		delete(s.ownPorts, t.pkg.Path)
	} else {
		s.ownPorts[t.pkg.Path] = t.appPort
	}
	b, _ := json.Marshal(s.ownPorts)
	_ = os.WriteFile(filepath.Join(s.cache.shared, ownPortsFile), b, 0o644)
}

// served records the port the ready version v serves on, and what that
// says about t: an app that listens on a port of its own, or one that
// honours PORT again.
func (s *Session) served(t *target, v *version, port string) {
	given := v.port
	v.port = port
	switch {
	case t.router == nil && t.sock == nil:
		_, public, _ := net.SplitHostPort(t.addr)
		if port != public && port != t.appPort {
			t.appPort = port
			t.url = urlOf(net.JoinHostPort(hostOf(t.addr), port))
			s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s listens on :%s itself, not on %s (--addr): it serves at %s. Pass --addr with that port, or make the app listen on the address it is given.", s.nameOf(t), port, t.addr, t.url)})
		}
	case port != given && port != t.appPort:
		t.appPort = port
		s.rememberOwnPort(t)
		s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s listens on :%s itself, not on the PORT ginhotd gives it: the proxy at %s forwards there, and a reload stops the old version before the new one starts, with requests held in between. %s", s.nameOf(t), port, t.url, s.overlapAdvice(t, port))})
	case port == given && t.appPort != "":
		t.appPort = ""
		s.rememberOwnPort(t)
		s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s honours PORT again: reloads overlap (the new version starts while the old one serves)", s.nameOf(t))})
	}
}

// nameOf names t in a sentence: "./cmd/api", or a target in the root by
// the root's directory, "shop (.)", as the terminal shows it.
func (s *Session) nameOf(t *target) string {
	if t.pkg.Name == "." {
		return filepath.Base(s.cfg.Dir) + " (.)"
	}
	return t.pkg.Name
}

// urlOf is the URL a browser on this machine opens for addr: an address
// on every interface (0.0.0.0 in a container) is reached as localhost.
func urlOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
		addr = net.JoinHostPort("localhost", port)
	}
	return "http://" + addr
}

// hostOf returns the host of addr.
func hostOf(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return host
}

// yieldProxyAddr handles a version that could not bind the proxy's own
// address (a hard-coded r.Run(":8080") against the default
// 127.0.0.1:8080): the app gets that port, the proxy moves to the next free
// one and says so, and the version starts again at once. It reports whether
// it did.
func (s *Session) yieldProxyAddr(t *target, v *version, tail []string) bool {
	port := boundPort(tail)
	_, proxyPort, _ := net.SplitHostPort(t.addr)
	if t.router == nil || port == "" || port != proxyPort {
		return false
	}
	_ = t.router.Close()
	t.router = nil
	t.appPort = port
	if err := s.claimFrom(t, hostOf(t.addr), s.nextPort); err != nil {
		s.emit(Event{Kind: KindError, Target: t.pkg.Name, Message: fmt.Sprintf("%s listens on :%s, the proxy's address, and no other port is free for the proxy: %v", s.nameOf(t), port, err)})
		return false
	}
	s.rememberOwnPort(t)
	s.emit(Event{Kind: KindWarn, Target: t.pkg.Name, Message: fmt.Sprintf("%s listens on :%s, the address ginhotd's proxy had: the app keeps it, and the proxy moved to %s (open that one: requests there are held across reloads, and pages reload themselves). %s", s.nameOf(t), port, t.url, s.overlapAdvice(t, port))})
	s.startVersionKey(t, v.bin, v.key, CauseStart, v.prepared)
	return true
}

// bindError matches the go error of a listen on a taken address.
var bindError = regexp.MustCompile(`listen tcp[46]? (\S*):(\d+): bind: address already in use`)

// boundPort returns the port of the address a version failed to bind, from
// its last output, or "".
func boundPort(tail []string) string {
	for i := len(tail) - 1; i >= 0; i-- {
		if m := bindError.FindStringSubmatch(tail[i]); m != nil {
			return m[2]
		}
	}
	return ""
}

// holderOf says who holds the port a version failed to bind: one of the
// target's own versions, ginhotd's proxy, or another process.
func (s *Session) holderOf(t *target, port string) string {
	for _, u := range s.each() {
		if _, p, _ := net.SplitHostPort(u.addr); p == port && u.router != nil {
			return "ginhotd's proxy for " + u.pkg.Name
		}
		for _, v := range u.versions {
			if v.port == port && v.p != nil {
				return fmt.Sprintf("%s's version with pid %d", u.pkg.Name, v.p.AppPID())
			}
		}
	}
	n, _ := strconv.Atoi(port)
	if pid, name, err := run.PortHolder(n); err == nil {
		return fmt.Sprintf("another process, pid %d (%s)", pid, name)
	}
	return "another process"
}

// overlapAdvice says how t's app gets overlapping reloads (reading PORT),
// worded for the framework its main package uses, with the listen call's
// file and line when it can be found.
func (s *Session) overlapAdvice(t *target, port string) string {
	framework, pos := listenCall(s.listenFiles(t), port)
	fix := `http.ListenAndServe(":"+os.Getenv("PORT"), …)`
	switch framework {
	case "gin":
		fix = "r.Run() with no address (Gin reads PORT)"
	case "echo":
		fix = `e.Start(":" + os.Getenv("PORT"))`
	}
	at := ""
	if pos.IsValid() {
		at = fmt.Sprintf(" at %s:%d", s.rel(pos.Filename), pos.Line)
	}
	return fmt.Sprintf("For overlapping reloads, listen with %s%s.", fix, at)
}

// rel returns path relative to the workspace root, when inside it.
func (s *Session) rel(path string) string {
	if r, err := filepath.Rel(s.cfg.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

// listenCalls are the names of the calls that make a Go web app listen.
var listenCalls = []string{"Run", "RunTLS", "Start", "StartTLS", "ListenAndServe", "ListenAndServeTLS", "Listen", "Serve"}

// listenFiles returns the Go files where t's app may start listening: its
// main package's, then those of the local packages it reaches (the router
// package of many Gin apps calls r.Run).
func (s *Session) listenFiles(t *target) []string {
	files, _ := filepath.Glob(filepath.Join(t.pkg.Dir, "*.go"))
	if s.graph != nil {
		for _, f := range s.graph.Inputs(t.pkg.Path) {
			if strings.HasSuffix(f, ".go") && filepath.Dir(f) != t.pkg.Dir {
				files = append(files, f)
			}
		}
	}
	return slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
}

// listenCall finds, in files, the call that makes the app listen: the
// first that names port in a string, else the first listen call. It
// returns its position (zero when none is found) and the framework of its
// file ("gin", "echo" or "net/http").
func listenCall(files []string, port string) (framework string, at token.Position) {
	fset := token.NewFileSet()
	var first, named token.Position
	var firstFW, namedFW string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil || !mayListen(src) {
			continue
		}
		af, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		fw := frameworkOf(af)
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || named.IsValid() {
				return !named.IsValid()
			}
			if se, ok := call.Fun.(*ast.SelectorExpr); !ok || !slices.Contains(listenCalls, se.Sel.Name) {
				return true
			}
			pos := fset.Position(call.Pos())
			if !first.IsValid() {
				first, firstFW = pos, fw
			}
			if namesPort(call, port) {
				named, namedFW = pos, fw
			}
			return true
		})
		if named.IsValid() {
			return namedFW, named
		}
	}
	if first.IsValid() {
		return firstFW, first
	}
	return "net/http", first
}

// mayListen reports whether a Go source holds the name of a listen call,
// a cheap test before parsing it.
func mayListen(src []byte) bool {
	for _, name := range listenCalls {
		if bytes.Contains(src, []byte(name+"(")) {
			return true
		}
	}
	return false
}

// frameworkOf returns "gin" or "echo" when the file imports that
// framework, else "net/http".
func frameworkOf(f *ast.File) string {
	for _, imp := range f.Imports {
		switch p, _ := strconv.Unquote(imp.Path.Value); {
		case p == "github.com/gin-gonic/gin":
			return "gin"
		case strings.HasPrefix(p, "github.com/labstack/echo"):
			return "echo"
		}
	}
	return "net/http"
}

// namesPort reports whether a string literal in call holds ":port".
func namesPort(call *ast.CallExpr, port string) bool {
	found := false
	ast.Inspect(call, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, ":"+port) {
			found = true
		}
		return !found
	})
	return found
}
