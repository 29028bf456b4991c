module example.com/sqlcapp

go 1.24
