package web

import (
	"example.com/lib"
	"github.com/gin-gonic/gin"
)

// Routes adds the routes.
func Routes(r *gin.Engine) { _ = lib.Title() }
