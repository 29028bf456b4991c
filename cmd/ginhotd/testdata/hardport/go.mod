module example.com/hardport

go 1.25.0
