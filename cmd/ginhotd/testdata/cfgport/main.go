// Command cfgport is a Gin app that reads its port from config.yaml at
// start, as many real projects do, and never reads PORT.
package main

import (
	"fmt"
	"log"

	"example.com/cfgport/internal/settings"
	"example.com/cfgport/msg"
	"github.com/gin-gonic/gin"
)

func main() {
	cfg, err := settings.Load("config.yaml")
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.GET("/", func(c *gin.Context) { c.String(200, "%s", msg.Text) })
	log.Fatal(r.Run(fmt.Sprintf(":%d", cfg.Port)))
}
