package main

import "example.com/sqlcapp/internal/db"

func main() { _ = db.New }
