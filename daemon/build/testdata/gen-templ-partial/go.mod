module example.com/templpartial

go 1.24
