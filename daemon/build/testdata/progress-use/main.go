package main

import "example.com/dep"

func main() { _ = dep.Two() }
