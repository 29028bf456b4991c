{{define "layout"}}<html>{{template "body" .}}</html>{{end}}
