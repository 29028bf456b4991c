#!/bin/sh
# What swag init prints for a bad annotation (it exits 1).
echo "2026/01/02 15:04:05 ParseComment error in file $PWD/handler.go for comment: '// @Router /hello [gett': can not parse router comment \"/hello [gett\"" >&2
exit 1
