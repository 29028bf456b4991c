module example.com/link

go 1.24
