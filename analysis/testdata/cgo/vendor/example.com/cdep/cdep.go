// Package cdep is a dependency (vendored) that uses cgo.
package cdep

// static int three(void) { return 3; }
import "C"

// Three returns 3, from C.
func Three() int { return int(C.three()) }
