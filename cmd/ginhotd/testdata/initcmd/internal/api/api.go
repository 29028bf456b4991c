// Package api holds the routes.
package api

import "github.com/gin-gonic/gin"

// Routes adds the routes to r.
func Routes(r *gin.Engine) *gin.Engine { return r }
