// Command echoapp is an Echo app.
package main

import (
	"net/http"

	"example.com/echoapp/msg"
	"github.com/labstack/echo/v4"
)

func main() {
	e := echo.New()
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, msg.Text) })
	e.Logger.Fatal(e.Start(":1323"))
}
