#!/bin/sh
# A generator that never finishes, with a child in its process group.
sleep 60 &
sleep 60
