module example.com/cgo

go 1.24

require example.com/cdep v1.0.0
