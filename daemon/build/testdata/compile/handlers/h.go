// Package handlers has one compile error, at line 12 column 3.
package handlers

import "fmt"

// Handle is called by main.
func Handle() {
	n := 1
	fmt.Println(n)
	for i := 0; i < n; i++ {
		fmt.Println(i)
		x = i
	}
}
