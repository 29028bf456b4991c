module example.com/genapp

go 1.24
