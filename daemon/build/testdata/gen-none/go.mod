module example.com/noneapp

go 1.24
