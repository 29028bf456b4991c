// Command server is the Gin app of a repository that keeps its module in
// server/ and its .air.toml at the repository root.
package main

import (
	"example.com/monorepo/server/internal/health"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.New()
	health.Routes(r)
	_ = r.Run()
}
