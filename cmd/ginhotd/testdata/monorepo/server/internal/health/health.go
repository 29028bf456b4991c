// Package health answers the health check.
package health

import "github.com/gin-gonic/gin"

// Routes adds the health route to r.
func Routes(r *gin.Engine) {
	r.GET("/health", func(c *gin.Context) { c.String(200, "ok") })
}
