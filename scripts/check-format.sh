#!/usr/bin/env bash
# Fails when a C file tracked by git (or about to be) is not clang-format clean; with --fix, formats them.
set -u
fix=0
[ "${1:-}" = "--fix" ] && fix=1
cd "$(dirname "$0")/.."
files=$( (git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c' 'bench/*.c' 'scripts/*.c';
         git ls-files --others --exclude-standard 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c' 'bench/*.c' 'scripts/*.c') | sort -u)
[ -z "$files" ] && exit 0
bad=0
for f in $files; do
  [ -f "$f" ] || continue
  if [ $fix = 1 ]; then clang-format -i "$f"; continue; fi
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check-format: $f is not clang-format clean (run: make format)" >&2
    bad=1
  fi
done
exit $bad
