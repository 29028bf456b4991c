// Command swagdemo is a Gin app documented with swag annotations; ginhotd
// runs `swag init` when a handler's comment changes (see ginhot.toml) and
// the app serves the generated spec on /swagger.json.
package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/swagdemo/docs"
)

// @title Swag demo
// @version 1.0
// @BasePath /
func main() {
	r := gin.New()
	r.GET("/hello", hello)
	r.GET("/swagger.json", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json", []byte(docs.SwaggerInfo.ReadDoc()))
	})
	_ = r.Run() // honours PORT, which ginhotd sets
}
