#!/bin/sh
# What templ generate prints for a parse error.
echo "(✗) Error [ error=failed to generate code for \"$PWD/views/index.templ\": $PWD/views/index.templ parsing error: string expression: missing close brace: line 4, col 12 ]" >&2
echo "(✗) Command failed: generation completed with 1 errors" >&2
exit 1
