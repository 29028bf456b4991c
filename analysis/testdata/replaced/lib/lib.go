// Package lib lives beside the app and is used through a replace directive.
package lib

// Title returns the site title.
func Title() string { return "shop" }
