#!/usr/bin/env bash
# Fails when a file in src/ includes a header of a layer above its own, or of another folder of the same
# rank, so the folders depend one way and can never form a circle (CONVENTIONS.md item 16; the picture is
# in docs/architecture.md). A new folder must be given its rank here before anything may include it.
#   0 util    primitives: buffers, JSON helpers, time zones, ids, log, config
#   1 store   the KV contract and its backends        llm  provider clients     nlu  offline understanding
#             net   outgoing deliveries (webhook POSTs, SMTP) and the public-address rule against SSRF
#   2 auth    credentials' primitives: jwt, password, secret, rate limits, the tenant context
#   3 domain  the use cases (bookings, availability, chat turns, usage …) and the tenant key schema
#   4 http    server, router, credential middleware, handlers
#   5 cmd     subcommands                              6 main.c
set -u
src=${1:-src}
declare -A rank=([util]=0 [store]=1 [llm]=1 [nlu]=1 [net]=1 [auth]=2 [domain]=3 [http]=4 [cmd]=5 [main.c]=6)
bad=0
# every file of src/ once (a folder without includes must still have a rank), then every include line
while IFS= read -r f; do
    rel=${f#"$src"/}
    from=${rel%%/*}
    if [[ -z ${rank[$from]+x} ]]; then
        echo "check-layers: $f: folder '$from' has no rank in scripts/check-layers.sh" >&2
        bad=1
    fi
done < <(find "$src" -name '*.[ch]')
while IFS=: read -r f line to; do
    rel=${f#"$src"/}
    from=${rel%%/*}
    to=${to#'#include "'}
    to=${to%/}
    [[ $to == "$from" || -z ${rank[$from]+x} ]] && continue
    if [[ -z ${rank[$to]+x} ]]; then
        echo "check-layers: $f:$line includes unknown folder '$to'" >&2
        bad=1
    elif ((rank[$to] >= rank[$from])); then
        echo "check-layers: $f:$line: $from (rank ${rank[$from]}) may not include $to (rank ${rank[$to]})" >&2
        bad=1
    fi
done < <(grep -rnoE --include='*.[ch]' '^#include "[a-z_]+/' "$src")
if ((bad)); then
    echo "check-layers: includes against the layer order above (see docs/architecture.md)" >&2
    exit 1
fi
exit 0
