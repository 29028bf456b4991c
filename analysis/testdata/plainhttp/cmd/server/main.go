// Command server is a plain net/http app: it reaches net/http only through
// internal/web.
package main

import (
	"log"

	"example.com/plainhttp/internal/web"
)

func main() { log.Fatal(web.Serve()) }
