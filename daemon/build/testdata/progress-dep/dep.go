package dep

// Two is 2.
func Two() int { return 2 }
