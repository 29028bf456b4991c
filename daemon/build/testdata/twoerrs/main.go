package main

import (
	"example.com/twoerrs/a"
	"example.com/twoerrs/b"
)

func main() { a.A(); b.B() }
