package handlers

import "testing"

func TestRegister(t *testing.T) {}
