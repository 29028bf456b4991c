// Package gin stands in for Gin in hermetic tests: ginhotd only needs a main
// package that imports this path.
package gin

// Mode returns the run mode.
func Mode() string { return "debug" }
