module example.com/cfgport

go 1.25.0

require github.com/gin-gonic/gin v1.12.0

replace github.com/gin-gonic/gin => ./fakegin
