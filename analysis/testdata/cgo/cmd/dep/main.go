// Command dep reaches a cgo package from a dependency module.
package main

import (
	"fmt"

	"example.com/cdep"
)

func main() { fmt.Println(cdep.Three()) }
