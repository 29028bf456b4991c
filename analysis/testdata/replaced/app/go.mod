module example.com/app

go 1.22

require (
	example.com/lib v0.0.0
	github.com/gin-gonic/gin v1.10.0
)

replace (
	example.com/lib => ../lib
	github.com/gin-gonic/gin => ../fakegin
)
