package main

import "example.com/embed/web"

func main() { println(len(web.Assets)) }
