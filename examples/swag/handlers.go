package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// hello greets the caller.
//
// @Summary Say hello
// @Produce plain
// @Success 200 {string} string "a greeting"
// @Router /hello [get]
func hello(c *gin.Context) {
	c.String(http.StatusOK, "hello")
}
