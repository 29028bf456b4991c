// Command migrate is a CLI that serves nothing.
package main

import "fmt"

func main() { fmt.Println("migrated") }
