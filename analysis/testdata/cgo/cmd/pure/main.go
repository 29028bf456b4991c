// Command pure uses no cgo of its own (net has a pure-Go fallback).
package main

import (
	"fmt"
	"net"
)

func main() { fmt.Println(net.IPv4len) }
