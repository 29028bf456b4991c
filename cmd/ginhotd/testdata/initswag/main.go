// Command initswag is a Gin app whose .air.toml runs swag before the build.
//
// @title Init swag fixture
// @version 1.0
package main

import "github.com/gin-gonic/gin"

func main() { _ = gin.New().Run() }
