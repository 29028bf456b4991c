package session

import (
	"path/filepath"
	"reflect"
	"strings"

	"github.com/ginhotd/ginhotd/daemon/build"
)

// publishStatus recomputes the status and emits it when it changed.
func (s *Session) publishStatus() {
	st := Status{State: StateIdle, Root: s.cfg.Dir, Targets: []TargetStatus{}}
	if s.logFile != nil {
		st.LogFile = s.logFile.Name()
	}
	if s.watcher != nil {
		st.Watch = s.watcher.Mode()
	}
	for _, t := range s.each() {
		ts := t.status()
		st.Targets = append(st.Targets, ts)
		if rank(ts.State) > rank(st.State) {
			st.State = ts.State
		}
	}
	if reflect.DeepEqual(st, s.status) {
		return
	}
	s.status = st
	c := st.clone()
	s.emit(Event{Kind: KindStatus, Status: &c})
}

// clone returns a copy of st that shares nothing with it.
func (st Status) clone() Status {
	st.Targets = append([]TargetStatus{}, st.Targets...)
	return st
}

// rank orders states so that the session's state is its most pressing
// target's.
func rank(s State) int {
	switch s {
	case StateBuilding:
		return 6
	case StateStarting:
		return 5
	case StateFailed:
		return 4
	case StateCrashed:
		return 3
	case StateRunning:
		return 2
	case StateStopped:
		return 1
	}
	return 0
}

// publishDiagnostics emits the complete current set of diagnostics of the
// workspace: every target's build errors and start-up problems. What an
// editor shows of them is the presenter's policy.
func (s *Session) publishDiagnostics() {
	all := []build.Diagnostic{}
	for _, t := range s.each() {
		all = append(all, t.buildDiags...)
		all = append(all, t.runDiags...)
	}
	all = append(all, s.stepDiags()...)
	s.emit(Event{Kind: KindDiagnostics, Diagnostics: dedupe(all)})
}

// inWorkspace reports whether file lies under the workspace or one of its
// local modules.
func (s *Session) inWorkspace(file string) bool {
	roots := []string{s.cfg.Dir}
	if s.graph != nil {
		roots = append(roots, s.graph.Roots()...)
	}
	for _, r := range roots {
		if rel, err := filepath.Rel(r, file); err == nil && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
}

func dedupe(ds []build.Diagnostic) []build.Diagnostic {
	seen := map[build.Diagnostic]bool{}
	out := ds[:0]
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
