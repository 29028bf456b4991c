#!/bin/sh
# A generator that prints an error at a file position but exits 0.
echo "generated 1 file"
echo "views/index.templ:4: unexpected <p>" >&2
