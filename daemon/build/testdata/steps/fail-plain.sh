#!/bin/sh
# A generator that fails with no position.
echo "config file sqlc.yaml not found" >&2
exit 2
