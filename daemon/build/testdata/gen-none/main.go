package main

import _ "example.com/noneapp/helpers"

func main() {}
