// Package analysis is the import-graph room of ginhotd: it decides, for a
// set of changed files, what each target (a Gin main package) needs — nothing,
// a restart, or a rebuild — and says why.
//
// It owns the package graph: [Load] runs go list once through go/packages
// (names, files, imports, dependencies, embeds, modules; no types, no syntax)
// and returns an immutable [Graph] that indexes every file of every local
// package (packages of the workspace modules and of modules replaced by a
// local directory) with its package clause, import set and //go:embed
// directives. [Graph.Classify] then answers from that index and from the
// changed files themselves, in microseconds, without running go list; when
// its [Result] says Reload, the caller loads a new Graph after acting.
//
// It must not start processes (other than the go list that go/packages
// runs inside Load), build, watch files, keep mutable state, or import
// anything of daemon/.
//
// # Targets
//
// Without explicit [Options.Targets], the targets are the main packages whose
// transitive imports include github.com/gin-gonic/gin, sorted by name. When
// there is none, the only main package whose transitive imports include
// net/http is taken, and [Graph.Notice] says so and how to pin it. Otherwise
// (several net/http mains, or none) Load yields [ErrNoTarget], wrapped with
// the candidates and the --target flag or ginhot.toml line that picks each. At a go.work root every module named by a use directive is loaded
// ("./..." alone matches nothing there).
//
// # Deciding what a change needs
//
// Each changed path is judged by the first line that applies:
//
//	path                                                  action              reload
//	go.mod, go.sum, go.work, go.work.sum of a local root  rebuild all         yes
//	outside every local module                            none                no
//	a file P embeds (//go:embed), or a new file matching  rebuild targets     if it came
//	  one of P's patterns (directory patterns cover the     reaching P          or went
//	  files below, minus names starting with . or _
//	  unless the pattern has the all: prefix)
//	*_test.go                                             none                no
//	under testdata/ or a directory starting with . or _   none                no
//	.go, cgo, assembly or .syso file of package P:
//	  header unreadable (a NUL byte, say), so its build   rebuild targets     yes
//	    constraints cannot be judged                        reaching P
//	  excluded by build constraints (and still excluded)  none                no
//	  changed                                             rebuild targets     if its imports, package
//	                                                        reaching P          clause or embeds changed
//	  added, deleted, newly included or newly excluded    rebuild targets     yes
//	                                                        reaching P
//	.go file in a directory that is no package            none                only for a new main
//	                                                                            package (a target-to-be)
//	matches a restart glob (default **/*.tmpl,            restart all         no
//	  **/*.gohtml, **/*.html)
//	anything else (README.md, docs, static files)         none                no
//
// A directory path (for example a removed package directory) counts as a
// change to every package and embedded file below it. A package that is
// imported but does not exist yet has a directory inside its module; a new
// file there rebuilds the targets that import it. For several paths, each
// target gets the strongest action, and the reasons of the paths that
// decided it, joined with "; ".
//
// Reasons are for people: a rebuild names the shortest import chain from the
// target to the changed package, with packages shown by their directory
// relative to the workspace root, e.g.
//
//	rebuild ./cmd/api: ./cmd/api → ./internal/handlers → ./internal/store (internal/store/store.go changed)
//	none ./cmd/api: ./internal/unused is not imported by any target (internal/unused/unused.go changed)
//	restart ./cmd/api: templates/index.tmpl is loaded at run time
package analysis
