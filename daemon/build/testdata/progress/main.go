package main

import "example.com/progress/b"

func main() { _ = b.B() }
