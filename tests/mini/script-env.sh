#!/usr/bin/env sh
# A #! script that finds its interpreter through env(1) and PATH.
echo "env-script \$#=$# args=[$*]"
exit 4
