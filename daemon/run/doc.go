// Package run is the room that runs the user's app: the supervisor.
//
// It owns the app's processes: [Start] launches a built binary in its own
// process group with a parent-death signal, reads its output line by line,
// and [Process.Stop] stops it gracefully, then by force. Around that it has
// the small probes a reload needs: [WaitListening], [WaitPortFree],
// [ListeningPorts], a restart [Backoff], and [ParsePanic] to point a crash at
// the line in the workspace that panicked.
//
// # Guarantees
//
//   - The app and everything it spawns share a process group. Stop signals
//     the group, and when the app exits on its own what remains of its group
//     is killed, so no grandchild keeps a port or the output pipes.
//   - On Linux the app gets SIGKILL when the daemon dies, even by SIGKILL
//     (PR_SET_PDEATHSIG). That signal is tied to the OS thread that forked,
//     not to the process (golang/go#27505), so the goroutine that starts the
//     app stays locked to its thread until the app has exited.
//   - [Spec.OnStart] and [Spec.OnExit] report the app's group, so that a
//     watchdog (the session wires daemon/guard) kills it and whatever it
//     spawned when the daemon dies; the parent-death signal reaches only
//     the app itself, and exists only on Linux.
//   - Output callbacks are finished before [Process.Exited] is closed.
//
// # Socket activation
//
// When [Spec.ExtraFiles] is set, the files become fds 3… of the app and it
// gets LISTEN_FDS and LISTEN_PID as systemd passes them (sd_listen_fds(3)).
// LISTEN_PID must be the app's own pid, unknown before the fork, so the app is
// started through /bin/sh, which sets LISTEN_PID=$$ and execs the binary in
// the same process.
//
// # Debug mode
//
// With [Spec.Debug] the process started is Delve,
//
//	dlv exec --headless --accept-multiclient --api-version=2 [--continue] --listen=ADDR BIN -- ARGS
//
// which serves DAP and JSON-RPC on one port ([Process.DebugAddr]; by
// default a port Delve picks, read from its "API server listening at:"
// line, so no port race), and the app is Delve's child ([Process.AppPID]).
// What was measured with Delve 1.27.2, and how Start and Stop deal with it:
//
//   - Delve puts the app in a process group of its own, so killing Delve's
//     group does not reach it, and a killed Delve leaves it running. Start
//     finds the app (the child of Delve that runs BIN, from /proc) and the
//     Process kills it whenever Delve ends, however Delve ends.
//   - Delve ignores SIGTERM while a client is attached and the app runs,
//     and JSON-RPC RPCServer.Detach{Kill: true} hangs then (no answer in 5
//     s); both work only when the app is halted. So Stop sends StopSignal
//     to the app itself (Delve lets it through, ~30 ms to exit), kills a
//     halted app at once, and SIGKILLs the app's group and Delve's on the
//     deadline.
//   - With --accept-multiclient Delve outlives the app, so when the app
//     exits the Process asks Delve for the exit status and kills Delve:
//     [Process.Exited] and [Process.ExitErr] describe the app.
//   - [Process.DebugState] opens a JSON-RPC connection of its own
//     (RPCServer.State, non-blocking), which works while an editor is
//     attached over DAP, and counts Delve's established connections on its
//     port in /proc to tell whether a client is attached.
//
// Debug mode is Linux-only (the app is found through /proc), and cannot be
// combined with socket activation: Delve passes the app no extra files.
//
// What run must not do: build, decide when to restart (that is the session's
// policy; [Backoff] only computes delays), proxy requests, or import any
// other ginhotd package. It is a leaf: stdlib and golang.org/x/sys/unix.
package run
