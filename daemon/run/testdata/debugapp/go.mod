module example.com/debugapp

go 1.24
