package handlers

import (
	"example.com/shop/internal/store"
	"github.com/gin-gonic/gin"
)

// Register adds the routes.
func Register(r *gin.Engine) { _ = store.Count() }
