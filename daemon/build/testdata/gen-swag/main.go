package main

import _ "example.com/swagapp/docs"

// @title Shop API
// @version 1.0
// @BasePath /api
func main() {}
