// Package lsp is the editor room: it serves the Language Server Protocol
// over one connection (stdin/stdout for `ginhotd --stdio`, or TCP for
// `ginhotd --listen`) and translates between LSP messages and the session
// API.
//
// It owns the wire: the Content-Length framing (a [jsonrpc2.Stream] that
// resynchronises after malformed input instead of dropping the connection),
// the LSP lifecycle (initialize, initialized, shutdown, exit), the mapping of
// workspace folders and file URIs to sessions, and the presentation of
// session events as publishDiagnostics, window/logMessage,
// window/showMessage, $/progress and the ginhot/status notification.
// docs/protocol.md is the contract it implements.
//
// It must not hold build or process state, decide what a change needs, or
// write anything but protocol frames to its connection: it changes things
// only by calling [session.Session] methods, and it is the only package that
// imports go.lsp.dev.
//
// [jsonrpc2.Stream]: https://pkg.go.dev/go.lsp.dev/jsonrpc2#Stream
package lsp
