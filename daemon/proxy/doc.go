// Package proxy is the HTTP front door of ginhotd's default (proxy) mode.
//
// The daemon listens on the public address and a [Proxy] reverse-proxies every
// request to the current version of the app, which listens on an internal
// loopback port. The session tells the proxy what happened through a few verbs:
// [Proxy.Switch] (a new version is ready), [Proxy.Hold] (no version is ready),
// [Proxy.Fail] and [Proxy.ClearFail] (a build failed or recovered). Requests that
// arrive while no version is ready, or that find the app's port closed because
// it just died, wait (bounded by [Options.HoldTimeout]) for the next Switch
// instead of failing, which is what makes reloads drop no request. The previous
// version returned by Switch is drained with [Backend.Drain] before it is stopped.
//
// # What this room owns
//
//   - routing requests to the current backend and counting what is in flight on each;
//   - holding and replaying requests (bodies up to 1 MiB) across restarts;
//   - the 502 page shown when no version became ready in time, or at once
//     when no version has run yet and the last build or start failed;
//   - live reload: the script injected into HTML responses and the
//     /__ginhot/events Server-Sent Events stream it listens to;
//   - the guard against DNS rebinding: its own endpoints ([OwnPrefix]) and
//     the failure text on its 502 page answer only a Host and Origin that
//     name this machine (loopback names, the configured public address).
//     The app's own routes are forwarded whatever the Host.
//
// # What it must not do
//
// It starts no process, knows nothing about builds, files or LSP, and imports
// only the standard library. It does not decide when to switch: the session
// does. It never edits non-HTML responses.
//
// # Notes
//
//   - WebSocket and other upgraded connections pass through and count as in
//     flight until they close; the caller bounds [Backend.Drain] with a context.
//   - HTML responses are rewritten as they stream: bytes before the last
//     "</body" pass through immediately, the rest is held until the response
//     ends. A Content-Security-Policy that forbids inline scripts disables the
//     live-reload script (the page still works).
//   - To get HTML unencoded, the proxy drops Accept-Encoding from requests
//     whose Accept header names text/html (page loads). Other requests keep it,
//     and encoded responses are never modified.
//   - The http.Server serving the proxy should not set a WriteTimeout: it would
//     cut Server-Sent Events, WebSockets and held requests.
package proxy
