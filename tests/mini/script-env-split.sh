#!/usr/bin/env -S sh -e
# The kernel passes "-S sh -e" to env as one argument; env -S splits it into "sh" and "-e".
case $- in
*e*) echo "split: sh runs with -e" ;;
*) echo "split: sh runs without -e" ;;
esac
echo "args=[$*]"
