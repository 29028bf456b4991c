package main

import _ "example.com/notamodule/pkg"

func main() {}
