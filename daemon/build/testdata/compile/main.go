package main

import "example.com/compile/handlers"

func main() { handlers.Handle() }
