// Command server is the only main below ./cmd, which the .air.toml builds.
package main

import (
	"example.com/initcmd/internal/api"
	"github.com/gin-gonic/gin"
)

func main() { _ = api.Routes(gin.New()).Run() }
