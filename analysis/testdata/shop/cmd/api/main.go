package main

import (
	"example.com/shop/internal/handlers"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.New()
	handlers.Register(r)
	_ = r.Run()
}
