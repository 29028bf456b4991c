// Package gin stands in for Gin in the editor tests: ginhotd only needs a
// main package that imports this path, and the tests must not download.
package gin

// Mode returns the run mode.
func Mode() string { return "debug" }
