package lsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/ginhotd/ginhotd/daemon/session"
)

// The workspace/executeCommand commands.
const (
	cmdRestart = "ginhot.restart"
	cmdRebuild = "ginhot.rebuild"
	cmdStop    = "ginhot.stop"
	cmdStart   = "ginhot.start"
	cmdStatus  = "ginhot.status"
	cmdExplain = "ginhot.explain"
	cmdDebug   = "ginhot.debug"
)

// codeRequestFailed is LSP's RequestFailed (3.17): the request was valid
// but the session could not carry it out.
const codeRequestFailed jsonrpc2.Code = -32803

// commandNames returns the names of [commands].
func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.Name
	}
	return names
}

// executeCommand runs one command; it may wait for a session.
func (s *server) executeCommand(raw json.RawMessage) (any, error) {
	var p protocol.ExecuteCommandParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, invalidParams("executeCommand: %v", err)
	}
	switch p.Command {
	case cmdRestart, cmdRebuild, cmdStop, cmdStart:
		target, err := optionalString(p.Command, "a target name", p.Arguments)
		if err != nil {
			return nil, err
		}
		return nil, s.do(session.Command(strings.TrimPrefix(p.Command, "ginhot.")), target)
	case cmdStatus:
		u, err := optionalString(p.Command, "a workspace folder or file URI", p.Arguments)
		if err != nil {
			return nil, err
		}
		return s.status(u)
	case cmdExplain:
		u, err := optionalString(p.Command, "a file URI", p.Arguments)
		if err != nil {
			return nil, err
		}
		if u == "" {
			return nil, invalidParams("%s needs one argument: a file URI", p.Command)
		}
		return s.explain(u)
	case cmdDebug:
		on, toggle, err := debugArg(p.Arguments)
		if err != nil {
			return nil, err
		}
		return s.setDebug(on, toggle)
	}
	return nil, invalidParams("unknown command %q (commands: %s)", p.Command, strings.Join(commandNames(), ", "))
}

// optionalString returns the command's only argument, a string, or "" when
// there is none (or it is null).
func optionalString(cmd, what string, args []any) (string, error) {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == nil:
		return "", nil
	case len(args) > 1:
		return "", invalidParams("%s takes at most one argument (%s), got %d", cmd, what, len(args))
	}
	v, ok := args[0].(string)
	if !ok {
		return "", invalidParams("%s: the argument must be %s (a string), got %T", cmd, what, args[0])
	}
	return v, nil
}

// debugArg reads the argument of ginhot.debug: {"on": bool}, or none (or
// null) to toggle.
func debugArg(args []any) (on, toggle bool, err error) {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == nil:
		return false, true, nil
	case len(args) > 1:
		return false, false, invalidParams("%s takes at most one argument ({\"on\": true or false}), got %d", cmdDebug, len(args))
	}
	m, ok := args[0].(map[string]any)
	v, isBool := m["on"].(bool)
	if !ok || !isBool || len(m) != 1 {
		return false, false, invalidParams("%s: the argument must be {\"on\": true} or {\"on\": false}, got %v", cmdDebug, args[0])
	}
	return v, false, nil
}

// debugResult is the answer of ginhot.debug: the mode now in force.
type debugResult struct {
	On bool `json:"on"`
}

// setDebug switches debug mode on or off in every running folder; toggle
// flips the first folder's mode.
func (s *server) setDebug(on, toggle bool) (debugResult, error) {
	fs := s.sessions()
	if len(fs) == 0 {
		return debugResult{}, jsonrpc2.NewError(codeRequestFailed, "no workspace folder is running")
	}
	if toggle {
		cur, err := fs[0].sess.Debug()
		if err != nil {
			return debugResult{}, jsonrpc2.NewError(codeRequestFailed, err.Error())
		}
		on = !cur
	}
	var errs []error
	got := on
	for _, f := range fs {
		now, err := f.sess.SetDebug(on)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.root.path, err))
		}
		got = got && now
	}
	if len(errs) > 0 {
		return debugResult{On: got}, jsonrpc2.NewError(codeRequestFailed, errors.Join(errs...).Error())
	}
	return debugResult{On: got}, nil
}

// sessions returns the folders whose sessions were started, in the
// client's order.
func (s *server) sessions() []*folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fs []*folder
	for _, f := range s.folders {
		if f.sess != nil {
			fs = append(fs, f)
		}
	}
	return fs
}

// do runs cmd on the named target of every folder that has it, or on every
// target when target is "".
func (s *server) do(cmd session.Command, target string) error {
	var errs []error
	acted := false
	var names []string
	for _, f := range s.sessions() {
		if target != "" {
			ts := f.sess.Status().Targets
			if !slices.ContainsFunc(ts, func(t session.TargetStatus) bool { return t.Name == target || t.Package == target }) {
				for _, t := range ts {
					names = append(names, t.Name)
				}
				continue
			}
		}
		acted = true
		if err := f.sess.Do(cmd, target); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.root.path, err))
		}
	}
	switch {
	case target != "" && !acted:
		return invalidParams("unknown target %q (targets: %s)", target, strings.Join(names, ", "))
	case !acted:
		return jsonrpc2.NewError(codeRequestFailed, "no workspace folder is running")
	case len(errs) > 0:
		return jsonrpc2.NewError(codeRequestFailed, errors.Join(errs...).Error())
	}
	return nil
}

// status returns the status of the folder holding the URI u, or of the
// first folder when u is "". Without any session it is a stopped status
// with no targets.
func (s *server) status(u string) (status, error) {
	fs := s.sessions()
	var f *folder
	switch {
	case u != "":
		path, err := s.pathOf(u)
		if err != nil {
			return status{}, invalidParams("%s: %v", cmdStatus, err)
		}
		f = innermost(fs, path)
		if f == nil {
			return status{}, invalidParams("%s: %s is outside every workspace folder", cmdStatus, u)
		}
	case len(fs) > 0:
		f = fs[0]
	default:
		return labelled(session.Status{State: session.StateStopped}), nil
	}
	st := f.pres.clientStatus(f.sess.Status())
	if st.State == "" {
		st.State = session.StateStopped
	}
	if st.Targets == nil {
		st.Targets = []session.TargetStatus{}
	}
	return labelled(s.pathMap().status(st)), nil
}

// explain says what saving the file named by u would do.
func (s *server) explain(u string) (session.Explanation, error) {
	path, err := s.pathOf(u)
	if err != nil {
		return session.Explanation{}, invalidParams("%s: %v", cmdExplain, err)
	}
	f := innermost(s.sessions(), path)
	if f == nil {
		return session.Explanation{}, invalidParams("%s: %s is outside every workspace folder", cmdExplain, u)
	}
	x, err := f.sess.Explain(f.root.inSession(path))
	if err != nil {
		return session.Explanation{}, jsonrpc2.NewError(codeRequestFailed, err.Error())
	}
	if x.Targets == nil {
		x.Targets = []string{}
	}
	return x, nil
}

// innermost returns the folder with the longest root holding path.
func innermost(fs []*folder, path string) *folder {
	var best *folder
	for _, f := range fs {
		if _, ok := f.root.contains(path); ok && (best == nil || len(f.root.path) > len(best.root.path)) {
			best = f
		}
	}
	return best
}

// progressToken returns a new work-done progress token when the client
// supports window/workDoneProgress.
func (s *server) progressToken() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.progress {
		return "", false
	}
	s.tokens++
	return fmt.Sprintf("ginhotd/build/%d", s.tokens), true
}
