package main

import (
	"net/http"

	"example.com/nogin/internal/lib"
)

func main() { _ = http.ListenAndServe(":8080", lib.Handler()) }
