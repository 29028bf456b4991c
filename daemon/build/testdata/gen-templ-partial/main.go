package main

import (
	"fmt"

	"example.com/templpartial/views"
)

func main() { fmt.Println(views.Title, views.Index()) }
