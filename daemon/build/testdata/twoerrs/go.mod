module example.com/twoerrs

go 1.24
