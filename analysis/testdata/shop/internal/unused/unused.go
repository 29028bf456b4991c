package unused

// Nothing is imported by no one.
func Nothing() {}
