// Command initdelay is a Gin app whose .air.toml is what air init writes.
package main

import "github.com/gin-gonic/gin"

//go:generate stringer -type=Mode

func main() { _ = gin.New().Run() }
