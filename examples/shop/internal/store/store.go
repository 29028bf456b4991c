// Package store keeps the shop's products in memory.
package store

import "sync"

// Product is one item for sale.
type Product struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// Store is a concurrency-safe in-memory catalogue.
type Store struct {
	mu       sync.RWMutex
	products []Product
}

// New returns a store filled with the demo catalogue.
func New() *Store {
	return &Store{products: []Product{
		{ID: 1, Name: "Gin tonic glass", Price: 12.5},
		{ID: 2, Name: "Juniper berries", Price: 4.2},
		{ID: 3, Name: "Copper still", Price: 899},
	}}
}

// Products returns a copy of every product.
func (s *Store) Products() []Product {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Product(nil), s.products...)
}

// Product returns the product with the given id.
func (s *Store) Product(id int) (Product, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}
