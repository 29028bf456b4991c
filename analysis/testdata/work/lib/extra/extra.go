package extra

// Extra is imported by no one.
func Extra() {}
