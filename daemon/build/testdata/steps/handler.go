package main

// Hello says hello.
// @Summary Say hello
// @Router /hello [gett
func Hello() {}
