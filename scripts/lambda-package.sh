#!/bin/sh
# Builds the AWS Lambda package of bookchat (provided.al2023) into OUT (default build/lambda-package):
#   bootstrap   the program (bookchat's own code and its self-contained static libraries), run by Lambda
#               without arguments as `bookchat lambda`; its program interpreter is /var/task/lib/<loader>
#   lib/        every shared library it still needs (ldd), glibc and the loader included
#   and OUT.zip (bootstrap and lib/ at the top) when zip is installed.
# Usage: scripts/lambda-package.sh [BUILD_DIR] [OUT]. docs/lambda.md lists what is static and what is not.
set -eu
BUILD=${1:-build}
OUT=${2:-$BUILD/lambda-package}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" --target bookchat_lambda -j"${JOBS:-2}"
BIN="$BUILD/lambda/bootstrap"
rm -rf "$OUT" "$OUT.zip"
mkdir -p "$OUT/lib"
# debug information stays in the build; the package gets the stripped program
objcopy --strip-debug "$BIN" "$OUT/bootstrap"
chmod 0755 "$OUT/bootstrap"
# ldd through the host's loader (the interpreter written into the program is the package's, at /var/task)
loader=$(ldd /bin/sh | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
interp=$(readelf -l "$BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -z "$loader" ] || [ "$(basename "$loader")" != "$(basename "$interp")" ]; then
    echo "lambda-package: the host's loader ($loader) is not the program's ($interp)" >&2
    exit 1
fi
"$loader" --list "$BIN" | awk '/=> \// {print $3}' | while read -r lib; do
    cp -L "$lib" "$OUT/lib/"
done
cp -L "$loader" "$OUT/lib/$(basename "$loader")"
# the package must run without the host: every library found in lib/ by the package's own loader
missing=$("$OUT/lib/$(basename "$loader")" --library-path "$OUT/lib" --list "$OUT/bootstrap" | grep -v "$OUT/lib/\|linux-vdso\|^\s*$(basename "$loader")\|/var/task/lib" || true)
if [ -n "$missing" ]; then
    echo "lambda-package: libraries not in $OUT/lib:" >&2
    echo "$missing" >&2
    exit 1
fi
"$OUT/lib/$(basename "$loader")" --library-path "$OUT/lib" "$OUT/bootstrap" version >/dev/null
if command -v zip >/dev/null 2>&1; then
    (cd "$OUT" && zip -qry "../$(basename "$OUT").zip" bootstrap lib)
fi
n=$(ls "$OUT/lib" | wc -l)
size=$(du -sh "$OUT" | cut -f1)
echo "lambda-package: $OUT (bootstrap and $n libraries in lib/, $size)${OUT:+$( [ -f "$OUT.zip" ] && echo ", $OUT.zip")}"
