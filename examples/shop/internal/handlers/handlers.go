// Package handlers wires the shop's HTTP routes.
package handlers

import (
	"net/http"
	"os"
	"strconv"
	"strings"

	"example.com/shop/internal/assets"
	"example.com/shop/internal/store"
	"github.com/gin-gonic/gin"
)

// Register adds every route to r.
func Register(r *gin.Engine) {
	s := store.New()
	r.GET("/", func(c *gin.Context) {
		c.HTML(http.StatusOK, "index.tmpl", gin.H{
			"Banner":   strings.TrimSpace(assets.Banner),
			"Products": s.Products(),
			"Version":  store.Version,
		})
	})
	r.GET("/version", func(c *gin.Context) {
		c.String(http.StatusOK, store.Version)
	})
	r.GET("/pid", func(c *gin.Context) {
		c.String(http.StatusOK, strconv.Itoa(os.Getpid()))
	})
	r.GET("/health", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/api/products", func(c *gin.Context) {
		c.JSON(http.StatusOK, s.Products())
	})
	r.GET("/api/products/:id", func(c *gin.Context) {
		id, err := strconv.Atoi(c.Param("id"))
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": "id must be a number"})
			return
		}
		p, ok := s.Product(id)
		if !ok {
			c.JSON(http.StatusNotFound, gin.H{"error": "no such product"})
			return
		}
		c.JSON(http.StatusOK, p)
	})
}
