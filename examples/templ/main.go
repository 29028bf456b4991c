// Command templdemo is a Gin app that renders templ components; ginhotd
// runs `templ generate` when a .templ file changes (see ginhot.toml).
package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/templdemo/views"
)

func main() {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := views.Index("ginhotd").Render(c.Request.Context(), c.Writer); err != nil {
			_ = c.Error(err)
		}
	})
	_ = r.Run() // honours PORT, which ginhotd sets
}
