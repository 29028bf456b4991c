package b

// B calls an undefined function.
func B() { undefinedInB() }
