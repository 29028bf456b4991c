package main

import "example.com/templapp/views"

func main() { _ = views.Index() }
