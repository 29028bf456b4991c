package main

import "example.com/templtest/views"

func main() { _ = views.Index() }
