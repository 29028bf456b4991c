// Package build is the room that turns `go build` into data.
//
// It owns one thing: running the user's `go` command for one target into a
// fresh binary under an output directory, and parsing what the command prints
// (the -json build events and the plain text between them) into a [Result]
// with [Diagnostic]s resolved to absolute paths.
//
// A failed compile is not an error of this package: [Run] returns it as
// Result{OK: false} with diagnostics and a nil error. The error return is kept
// for ginhotd's own failures: `go` missing ([ErrGoNotFound]), the context
// cancelled, the output directory not creatable.
//
// When a package of the module is missing only because a code generator has
// not run (its directory holds *.templ files, a sqlc configuration names it,
// *.proto files, swag annotations, a //go:generate line), the diagnostic says
// which generator to run instead of go's "go get" advice, and the hint is
// appended to the output as a "ginhotd: ..." line. Any other missing
// package of the workspace's own modules (a main package deleted, say) loses
// the "go get" advice too: go get cannot add it, and the message says which
// directory of the user's module holds no Go files.
//
// For speculative builds from an editor's unsaved buffers, [Options.Overlay]
// builds with `go build -overlay` and [Options.Nice] runs the build at the
// lowest CPU priority. [Key] names the content a build read, and a [Store]
// keeps binaries under those keys, bounded, so a state already built can be
// served again without a build.
//
// The go command runs in its own process group; cancelling the context kills
// the whole group, so compiler and linker children never outlive a stale build.
// [Options.OnStart] and [Options.OnExit] report the group, so that a watchdog
// can kill it when the daemon itself dies.
//
// A file the go command cannot even read the header of (a NUL byte) is
// reported by it at the import that led to it, or at no position; the
// diagnostic is moved onto that file, at the NUL.
//
// What build must not do: watch files, decide what to rebuild, run or stop the
// built program, or import any other ginhotd package. It is a leaf (the
// standard library, and golang.org/x/mod to read go.mod); policy such as
// "the latest save wins" belongs to the caller, which expresses it by
// cancelling the context.
package build
