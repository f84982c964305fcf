#!/usr/bin/env bash
# scripts/check-layers.sh passes on the real tree and fails on a copy with one include against the order.
set -u
check=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect 0|1 description
    "$check" "$tmp/src" >/dev/null 2>&1
    local rc=$?
    if [[ ($1 == 0 && $rc != 0) || ($1 == 1 && $rc == 0) ]]; then
        echo "FAIL: $2 (exit $rc)"
        fail=1
    else
        echo "ok: $2"
    fi
}
fresh() { rm -rf "$tmp/src" && cp -r "$src" "$tmp/src"; }
fresh && expect 0 "the real tree follows the order"
fresh && echo '#include "http/server.h"' >>"$tmp/src/domain/booking.c" && expect 1 "domain including http"
fresh && echo '#include "domain/keys.h"' >>"$tmp/src/store/store.c" && expect 1 "store including domain"
fresh && echo '#include "store/store.h"' >>"$tmp/src/util/buf.c" && expect 1 "util including store"
fresh && echo '#include "llm/llm.h"' >>"$tmp/src/nlu/nlu.c" && expect 1 "nlu including llm (same rank)"
fresh && echo '#include "store/store.h"' >>"$tmp/src/net/addr.c" && expect 1 "net including store (same rank)"
fresh && echo '#include "cmd/cmd.h"' >>"$tmp/src/http/router.c" && expect 1 "http including cmd"
fresh && mkdir "$tmp/src/extra" && echo '#include "util/buf.h"' >"$tmp/src/extra/x.c" && expect 1 "a folder without a rank"
((fail)) && { echo "1 failed"; exit 1; }
echo "check-layers: all cases passed"
