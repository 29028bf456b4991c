// Command admin serves HTTP without Gin.
package main

import (
	"net/http"
	"os"
)

func main() { _ = http.ListenAndServe(":"+os.Getenv("PORT"), http.NotFoundHandler()) }
