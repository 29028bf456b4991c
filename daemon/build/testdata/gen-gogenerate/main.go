package main

//go:generate go run ./tools/mkassets -out assets

import "example.com/genapp/assets"

func main() { _ = assets.Files }
