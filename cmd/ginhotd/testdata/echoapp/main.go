// Command echoapp is an Echo app.
package main

import "github.com/labstack/echo/v4"

func main() { _ = echo.New().Start(":1323") }
