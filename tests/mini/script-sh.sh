#!/bin/sh
# A #! script run through /bin/sh: its arguments, stdin, and its exit status.
echo "\$0=$0"
echo "\$#=$#"
for arg in "$@"; do
    echo "arg=[$arg]"
done
if [ "${1:-}" = stdin ]; then
    echo "stdin lines: $(wc -l)"
fi
exit 3
