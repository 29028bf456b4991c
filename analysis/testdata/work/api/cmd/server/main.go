package main

import (
	"example.com/lib/greet"
	"github.com/gin-gonic/gin"
)

func main() {
	r := gin.New()
	_ = greet.Hello()
	_ = r.Run()
}
