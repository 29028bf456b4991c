// Command local reaches a local cgo package.
package main

import (
	"fmt"

	"example.com/cgo/internal/native"
)

func main() { fmt.Println(native.Two()) }
