#!/bin/sh
# A generator that prints only a warning and exits 0.
echo "views/index.templ:4: warning: deprecated syntax" >&2
