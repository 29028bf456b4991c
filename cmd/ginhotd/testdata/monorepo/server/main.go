// Command server is the Gin app of a repository that keeps its module in
// server/ and its .air.toml at the repository root. It logs each request
// into logs/, which the repository's .gitignore ignores.
package main

import (
	"log"
	"os"

	"example.com/monorepo/server/internal/health"
	"example.com/monorepo/server/msg"
	"github.com/gin-gonic/gin"
)

func main() {
	if err := os.MkdirAll("logs", 0o755); err != nil {
		log.Fatal(err)
	}
	access, err := os.OpenFile("logs/access.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	logger := log.New(access, "", log.LstdFlags)
	r := gin.New()
	health.Routes(r)
	r.GET("/", func(c *gin.Context) {
		logger.Println("GET /")
		c.String(200, "%s", msg.Text)
	})
	_ = r.Run()
}
