package main

import "example.com/lib/extra"

func main() { extra.Extra() }
