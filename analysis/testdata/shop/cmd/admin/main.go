package main

import (
	"example.com/shop/internal/admin"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.New()
	admin.Mount(r)
	_ = r.Run()
}
