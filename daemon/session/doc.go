// Package session is the orchestrator room: one [Session] per workspace owns
// everything that happens at run time — the package graph, the file watcher,
// builds, app processes and the proxy — and turns it into a stream of
// [Event]s for a [Notifier] (the terminal presenter or the LSP server).
//
// # One loop, typed messages
//
// Data flows one way: changes → decisions → builds → versions → Notifier.
// One goroutine, the loop in [Session.Run], reads and writes all state.
// Work that blocks runs on helper goroutines that get immutable values and
// report back with a typed message: built, readied, versionExited, drained,
// versionStopped, retryDue, graphLoaded (target.go); specBuilt and
// typingPaused (speculate.go); generated (generate.go); launched and
// debugWaiting (debug.go). Exported methods ask the loop over a channel,
// so they are safe for concurrent use. One lock guards the notifier, which
// app output readers call too; another serialises the generate steps that
// builds run first, on their helper goroutines.
//
// The leaves are behind small interfaces (seams.go: [Graph], [Watcher],
// [Builder], [Runner], [Router], [Store], [StepRunner]); [New] plugs in the
// real ones, and the package's tests run the state machine on fakes in a
// testing/synctest bubble.
//
// # One save, top to bottom
//
// A save reads in two files, in order. save.go:
//
//	take       every change enters here (watcher batch, editor save): one hash per file,
//	           paths already acted on dropped, generator steps run (generateFor)
//	decide     the graph's decision per target, by import path: rebuild, restart or nothing
//	rebuild    the binary store first (a binary of this content serves at once),
//	           a speculative build of this content (wait for it), else startBuild
//	onBuilt    stale id? dropped · failed? diagnostics, what serves keeps serving ·
//	           ok? the binary is stored and started
//
// version.go:
//
//	startVersion  blue/green: the old version serves on (no-proxy: it retires first)
//	launch        run.Start with PORT, the exit watched, readiness awaited
//	onReadied     superseded? retired · failed? startFailed, backoff · else switchTo
//	switchTo      the proxy switches, ready is emitted, the old version drains
//	retire        the old version stops: versionStopped
//
// Three things attach at named points of that path. Speculation (speculate.go)
// builds the editor's unsaved buffers when typing pauses, into the store
// that rebuild looks in. Generator steps (generate.go) run from take, and
// before a build (runPre/afterPre). Debug mode (debug.go) changes the build
// options (debugBuild) and how a version starts (launchDebug) and drains
// (untilFree).
//
// # Targets come and go
//
// Targets are known by import path for the whole session (targets.go).
// After every graph load, a main the target rules select that the session
// lacks becomes a target, on the next free port (target_added, first
// build); a target whose main is gone stops — its build is cancelled, its
// versions drain and stop, the proxy answers why (target_removed) — and it
// starts again on its old address when it comes back. A configured target
// that is missing is an error event, once.
//
// # Target states
//
// A target's state is what the user sees (ginhot/status). It is derived in
// one function, target.state, from the target's facts; the transitions
// that change those facts are methods of the target (target.go). Its
// versions are the processes behind it. TestStateTable drives every row.
//
//	from        on                                to
//	idle        the session starts                building
//	running     a change needs a build            building
//	building    build ok                          starting
//	building    build failed                      failed
//	building    go missing                        failed
//	building    a generate step before it fails   failed
//	building    the user stops the target         stopped
//	starting    the new version is ready          running
//	starting    the new version exits or never    failed if an old version serves, else
//	            listens                           crashed, retried with backoff
//	running     the serving version exits         crashed, restarted from the last good binary
//	crashed     the backoff runs out              starting
//	running     a template or env file changes    starting
//	running     the user stops the target         stopped
//	stopped     the user starts the target        starting
//	running     its main package is gone          stopped
//	stopped     its main package is back          building
//
// A version goes starting → ready → (draining) → retiring → gone; a starting
// version that a newer start superseded is retired without being switched to.
// In no-proxy mode the old version retires before the new one launches, once
// its address is free. In socket-activation mode the ready event is emitted
// once the old version has stopped, since both accept on the shared socket.
//
// It must not know about LSP types or terminals.
package session
