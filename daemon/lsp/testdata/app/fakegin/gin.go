// Package gin stands in for github.com/gin-gonic/gin: ginhotd recognises a
// Gin app by this import path, and the fixture must build without network.
package gin

// Mode is the mode the app runs in.
func Mode() string { return "test" }
