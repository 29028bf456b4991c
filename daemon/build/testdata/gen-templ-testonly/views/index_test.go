package views

import "testing"

func TestIndex(t *testing.T) { _ = Index() }
