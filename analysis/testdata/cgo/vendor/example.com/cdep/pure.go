package cdep

// Name is not cgo.
const Name = "cdep"
