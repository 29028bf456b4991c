#!/bin/sh
# A generator that reports an error the way sqlc does and exits 1.
echo "views/index.templ:3:5: syntax error near templ" >&2
exit 1
