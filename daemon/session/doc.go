// Package session is the orchestrator room: one [Session] per workspace owns
// everything that happens at run time — the package graph, the file watcher,
// builds, app processes and the proxy — and turns it into a stream of
// [Event]s for a [Notifier] (the terminal presenter or the LSP server).
//
// # One loop, typed messages
//
// Data flows one way: watch batches → analysis.Classify → build → run/proxy →
// Notifier. One goroutine, the loop in [Session.Run], reads and writes all
// state. Work that blocks runs on helper goroutines that get immutable values
// and report back with a typed message (target.go): built, readied, exited,
// drained, stopped, retry, loaded, generated (generate.go: the generator
// steps and .env files), launched and debugWaiting (debug.go: debug mode,
// each version under Delve). Exported methods ask the loop over a
// channel, so they are safe for concurrent use. One lock guards the
// notifier, which app output readers call too; another serialises the
// generate steps that builds run first, on their helper goroutines.
//
// The leaves are behind small interfaces (seams.go: [Graph], [Watcher],
// [Builder], [Runner], [Router]); [New] plugs in the real ones, and the
// package's tests run the state machine on fakes in a testing/synctest
// bubble.
//
// # One save, message by message
//
//	watch.Batch ─► onBatch: Classify ─► startBuild (cancel older build, buildID++)
//	built ─► onBuilt: stale id? drop · failed? keep serving, diagnostics
//	       ─► startVersion (startID++) ─► launch: run.Start, spawn Ready + exit watch
//	readied ─► onReadied: superseded? retire · failed? startFailed · else promote
//	promote: proxy Switch ─► ready event ─► drain old
//	drained ─► retire old ─► stopped ─► stop event
//
// # Target states
//
// A target's state is what the user sees (ginhot/status); its versions are
// the processes behind it.
//
//	from        on                              to
//	idle        session starts                  building
//	any         a change needs a build          building (an older build is cancelled)
//	building    build failed                    failed (the serving version keeps serving)
//	building    go missing, cannot build        failed (an error event says why)
//	building    build ok                        starting (stopped if the user stopped it)
//	starting    new version ready               running (old version drains, then stops)
//	starting    new version exits / never       failed if an old version serves; else
//	            listens / wrong port            crashed, retried with backoff
//	running     serving version exits           crashed, restarted from the last good
//	                                            binary after 200ms, 400ms … 10s; the
//	                                            backoff resets after 10s of healthy run
//	running     a template or env file changed starting (same binary, no build)
//	any         a generate step fails           unchanged (the serving version serves;
//	                                            generate_fail has the diagnostics)
//	any         stop command                    stopped (build cancelled, versions stopped)
//	stopped     start command                   starting, or building with no binary yet
//
// A version goes starting → ready → (draining) → retiring → gone; a starting
// version that a newer start superseded is retired without being switched to.
// In no-proxy mode the old version retires before the new one launches, once
// its address is free. In socket-activation mode the ready event is emitted
// once the old version has stopped, since both accept on the shared socket.
//
// It must not know about LSP types or terminals.
package session
