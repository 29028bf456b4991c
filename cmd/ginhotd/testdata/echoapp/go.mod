module example.com/echoapp

go 1.25.0

require github.com/labstack/echo/v4 v4.13.0

replace github.com/labstack/echo/v4 => ./fakeecho
