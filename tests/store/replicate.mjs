// A stand-in for DynamoDB Global Tables between two dynalite servers (tests/store/regions.test.mjs): each
// sync() scans both tables and copies what changed in one to the other, items and deletions, the way
// Global Tables replicate every write to every replica. When an item changed in both since the last sync
// (two regions wrote it within one replication interval) one copy wins whole and the other is lost: that
// is Global Tables' last-writer-wins. The real service decides by the write's timestamp; a scan cannot see
// it, so here the second table's copy always wins, which is as bad for a conditional write as the real rule.
//
//   const rep = new Replicator([endpointA, endpointB], table);
//   await rep.sync();   // returns {copied, deleted, conflicts}

// dynalite checks that a request is signed, not the signature (as tests/store/store_cli.test.mjs does)
async function call(endpoint, target, body) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${target}`,
      'X-Amz-Date': '20260101T000000Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDDYNALITETEST/20260101/us-east-1/dynamodb/aws4_request, ' +
        'SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${target} on ${endpoint}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// JSON with object keys sorted, so that two copies of one item compare equal as strings
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export class Replicator {
  constructor(endpoints, table) {
    this.endpoints = endpoints;
    this.table = table;
    this.last = new Map(); // key -> canonical item as both tables held it after the last sync
  }

  // Every item of one table: Map "PK\u0000SK" -> {item, text}.
  async scan(endpoint) {
    const out = new Map();
    let start;
    do {
      const r = await call(endpoint, 'Scan', { TableName: this.table, ...(start ? { ExclusiveStartKey: start } : {}) });
      for (const item of r.Items) out.set(`${item.PK.S}\u0000${item.SK.S}`, { item, text: canonical(item) });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async write(endpoint, key, copy) {
    if (copy) return call(endpoint, 'PutItem', { TableName: this.table, Item: copy.item });
    const [pk, sk] = key.split('\u0000');
    return call(endpoint, 'DeleteItem', { TableName: this.table, Key: { PK: { S: pk }, SK: { S: sk } } });
  }

  async sync() {
    const [ea, eb] = this.endpoints;
    const [a, b] = await Promise.all([this.scan(ea), this.scan(eb)]);
    const stats = { copied: 0, deleted: 0, conflicts: 0 };
    const next = new Map();
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const ca = a.get(key), cb = b.get(key), last = this.last.get(key);
      const ta = ca?.text, tb = cb?.text;
      if (ta === tb) {
        if (ta !== undefined) next.set(key, ta);
        continue;
      }
      const changedA = ta !== last, changedB = tb !== last;
      let winner, to;
      if (changedA && !changedB) [winner, to] = [ca, eb];
      else if (changedB && !changedA) [winner, to] = [cb, ea];
      else {
        stats.conflicts++; // written in both regions since the last sync: last writer wins (the second table)
        [winner, to] = [cb, ea];
      }
      await this.write(to, key, winner);
      if (winner) {
        stats.copied++;
        next.set(key, winner.text);
      } else {
        stats.deleted++;
      }
    }
    this.last = next;
    return stats;
  }
}
