package main

import (
	"example.com/app/web"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.New()
	web.Routes(r)
	_ = r.Run()
}
