#!/bin/sh
# Lambda cold start (docs/performance.md "Lambda cold start"): process start to first answer of
# `bookchat lambda`, on LMDB and on DynamoDB (dynalite), for the release binary and the Lambda package.
# Not part of make test. Usage: bench/lambda_cold.sh [RUNS]   (after make build and make lambda-package)
set -eu
RUNS=${1:-15}
BIN=${BOOKCHAT_BIN:-build/bookchat}
PKG=${LAMBDA_PACKAGE:-build/lambda-package}
node bench/lambda_cold.mjs --runs "$RUNS" --bin "$BIN"
[ -x "$PKG/bootstrap" ] && node bench/lambda_cold.mjs --runs "$RUNS" --bin "$BIN" --package "$PKG"
node tests/store/with-dynalite.mjs --bin "$BIN" -- node bench/lambda_cold.mjs --runs "$RUNS" --bin "$BIN"
[ -x "$PKG/bootstrap" ] && node tests/store/with-dynalite.mjs --bin "$BIN" -- node bench/lambda_cold.mjs --runs "$RUNS" --bin "$BIN" --package "$PKG"
exit 0
