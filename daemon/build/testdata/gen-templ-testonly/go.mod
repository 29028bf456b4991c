module example.com/templtest

go 1.24
