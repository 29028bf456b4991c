package session

import (
	"context"
	"errors"

	"github.com/ginhotd/ginhotd/daemon/config"
)

// Session runs one workspace: see the package documentation.
type Session struct {
	cfg config.Config
	n   Notifier
}

// New returns a session for cfg that reports to n. Nothing starts before Run.
func New(cfg config.Config, n Notifier) *Session {
	return &Session{cfg: cfg, n: n}
}

// Run loads the package graph, builds and starts every target, and then
// reacts to changes until ctx is done; it stops every app before returning.
// It returns early with an error when the workspace cannot be run (not a Go
// module, no Gin main package, go missing).
func (s *Session) Run(ctx context.Context) error {
	return errors.New("session: not implemented yet")
}

// Changed reports paths changed by an editor (didSave, didChangeWatchedFiles).
// They join the file watcher's funnel, so a save seen by both yields one
// decision.
func (s *Session) Changed(cause Cause, paths ...string) {}

// Do runs a user command on the target named by its import path or name
// ("./cmd/api"), or on every target when target is empty.
func (s *Session) Do(cmd Command, target string) error {
	return errors.New("session: not implemented yet")
}

// Status returns the current status.
func (s *Session) Status() Status { return Status{} }

// Explain says what a change to path would do, and why.
func (s *Session) Explain(path string) (Explanation, error) {
	return Explanation{}, errors.New("session: not implemented yet")
}
