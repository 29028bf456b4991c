module example.com/swagapp

go 1.24
