module example.com/plainhttp

go 1.22
