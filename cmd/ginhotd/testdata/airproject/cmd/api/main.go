// Command api is the fixture's Gin main, with swag's general API info.
//
// @title Air project API
// @version 1.0
// @BasePath /api/v1
package main

import (
	"fmt"

	"example.com/airproject/internal/status"
	"example.com/airproject/internal/views"
	"github.com/gin-gonic/gin"
)

func main() {
	fmt.Println(gin.Mode(), views.Index(), status.OK)
}
