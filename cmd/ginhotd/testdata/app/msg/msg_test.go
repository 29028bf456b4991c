package msg

import "testing"

func TestText(t *testing.T) {
	if Text == "" {
		t.Fatal("empty")
	}
}
