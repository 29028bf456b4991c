package store

import "testing"

func TestProduct(t *testing.T) {
	if _, ok := New().Product(2); !ok {
		t.Fatal("product 2 is missing")
	}
}
