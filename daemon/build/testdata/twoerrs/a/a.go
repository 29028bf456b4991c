package a

// A returns nothing but tries to.
func A() { return 1 }
