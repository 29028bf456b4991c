// Package native is a local package that uses cgo.
package native

// static int two(void) { return 2; }
import "C"

// Two returns 2, from C.
func Two() int { return int(C.two()) }
