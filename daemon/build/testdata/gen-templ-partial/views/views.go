// Package views holds the pages; index_templ.go is generated from index.templ.
package views

// Title is the site's title.
const Title = "shop"
