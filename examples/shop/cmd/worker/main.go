// Command worker is a background job runner. It is a second main package that
// does not import Gin, so ginhotd never rebuilds it.
package main

import (
	"fmt"

	"example.com/shop/internal/store"
)

func main() {
	s := store.New()
	for _, p := range s.Products() {
		fmt.Printf("reindexing %s\n", p.Name)
	}
}
