// Package report builds sales reports. No main package imports it yet, so
// editing it never rebuilds the app.
package report

import "example.com/shop/internal/store"

// Total returns the sum of all product prices.
func Total(s *store.Store) float64 {
	var t float64
	for _, p := range s.Products() {
		t += p.Price
	}
	return t
}
