// Command ok is a fixture that builds.
package main

import "fmt"

func main() { fmt.Println("ok") }
