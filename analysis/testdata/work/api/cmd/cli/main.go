package main

import (
	"fmt"

	"example.com/lib/greet"
)

func main() { fmt.Println(greet.Hello()) }
