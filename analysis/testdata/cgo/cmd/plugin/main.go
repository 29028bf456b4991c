// Command plugin imports plugin, which needs cgo.
package main

import (
	"fmt"
	"plugin"
)

func main() { fmt.Println(plugin.Open) }
