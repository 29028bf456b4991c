module example.com/templapp

go 1.24
