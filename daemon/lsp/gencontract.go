//go:build ignore

// gencontract writes docs/contract.json from [lsp.Contract]; run it with
// go generate ./daemon/lsp.
package main

import (
	"log"
	"os"

	"github.com/ginhotd/ginhotd/daemon/lsp"
)

func main() {
	b, err := lsp.Contract()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("../../docs/contract.json", b, 0o644); err != nil {
		log.Fatal(err)
	}
}
