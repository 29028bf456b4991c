// Package session is the orchestrator room: one [Session] per workspace owns
// everything that happens at run time — the package graph, the file watcher,
// builds, app processes and the proxy — and turns it into a stream of
// [Event]s for a [Notifier] (the terminal presenter or the LSP server).
//
// Data flows one way: watch batches → analysis.Classify → build → run/proxy →
// Notifier. A single goroutine (the loop in Run) owns all mutable state;
// other goroutines (builds, start-ups, drains, callers of the exported
// methods) talk to it over channels. The exported methods are safe for
// concurrent use.
//
// It must not know about LSP types or terminals.
package session
