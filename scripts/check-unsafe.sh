#!/usr/bin/env bash
# Fails when a banned C call appears in the sources (strcpy, sprintf, strcat, atoi, gets, vsprintf…):
# bounded alternatives exist for each (snprintf, memcpy with a known length, strtol).
set -u
dir=${1:-src}
if grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|tmpnam)\s*\(' "$dir" \
  --include='*.c' --include='*.h'; then
  echo "check-unsafe: banned call(s) above; use snprintf/memcpy/strtol instead" >&2
  exit 1
fi
exit 0
