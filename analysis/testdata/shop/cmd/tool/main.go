package main

import (
	"fmt"

	"example.com/shop/internal/store"
)

func main() { fmt.Println(store.Count()) }
