module example.com/envport

go 1.25.0
