package b

import "example.com/progress/a"

func B() int { return a.A() + 1 }
