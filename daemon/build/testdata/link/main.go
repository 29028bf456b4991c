// Command link compiles but does not link: nothere has no definition.
package main

import _ "unsafe"

//go:linkname nothere example.com/link/nowhere.nothere
func nothere()

func main() { nothere() }
