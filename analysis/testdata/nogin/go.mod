module example.com/nogin

go 1.22
