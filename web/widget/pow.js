// The proof-of-work challenge (ALTCHA's format, docs/security.md "Proof of work"): find the number n in
// [0, maxnumber] with hex(SHA-256(salt + n)) == challenge, in a Web Worker so the page never stalls, and give
// the X-Altcha header: base64 of {algorithm, challenge, number, salt, signature}.
// SHA-256 is computed here rather than with crypto.subtle.digest: one promise per hash made subtle about 25
// times slower in chromium (measured: 100,000 hashes in 1.5-4 s against 60-250 ms), and the salt's first
// 64-byte block is hashed once for all numbers. It also works on pages that are not a secure context.

// Self-contained (its text is the worker's source, under whatever name the minifier gives it): returns n, or -1 when no n up to max solves it.
function solve(salt, challenge, max) {
  const K = new Int32Array(64), W = new Int32Array(64), T = new Int32Array(8), M = new Int32Array(32), S = new Int32Array(8);
  const H = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let n = 2, i = 0; i < 64; n++) {
    let p = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) p = false;
    if (p) K[i++] = ((Math.cbrt(n) % 1) * 4294967296) | 0; // the first 32 bits of the primes' cube roots
  }
  for (let i = 0; i < 8; i++) T[i] = parseInt(challenge.substr(i * 8, 8), 16) | 0;
  function block(st, o) {
    for (let t = 0; t < 64; t++) {
      if (t < 16) W[t] = M[o + t];
      else {
        const x = W[t - 15], y = W[t - 2];
        W[t] = ((((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 7] + W[t - 16]) | 0;
      }
    }
    let a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g, g = f, f = e, e = (d + t1) | 0, d = c, c = b, b = a, a = (t1 + t2) | 0;
    }
    st[0] += a, st[1] += b, st[2] += c, st[3] += d, st[4] += e, st[5] += f, st[6] += g, st[7] += h;
  }
  const load = (s, l) => {
    M.fill(0);
    for (let i = 0; i < l; i++) M[i >> 2] |= (s.charCodeAt(i) & 255) << (24 - (i & 3) * 8);
  };
  const full = salt.length & ~63; // the salt's whole blocks are the same for every n: hashed once
  for (let o = 0; o < full; o += 64) {
    load(salt.slice(o, o + 64), 64);
    block(H, 0);
  }
  const rest = salt.slice(full);
  for (let n = 0; n <= max; n++) {
    const s = rest + n, l = s.length, nb = l < 56 ? 16 : 32;
    load(s, l);
    M[l >> 2] |= 0x80 << (24 - (l & 3) * 8);
    M[nb - 1] = (full + l) * 8;
    S.set(H);
    block(S, 0);
    if (nb === 32) block(S, 16);
    if (S[0] === T[0] && S[1] === T[1] && S[2] === T[2] && S[3] === T[3] && S[4] === T[4] && S[5] === T[5] && S[6] === T[6] && S[7] === T[7]) return n;
  }
  return -1;
}

let workerUrl;
// n in a worker (a blob: script, so it works on any site whose CSP allows worker-src blob:); on the page
// itself, after a tick, when workers cannot be made.
function inWorker(c) {
  return new Promise((resolve, reject) => {
    let w;
    try {
      workerUrl = workerUrl || URL.createObjectURL(new Blob([`${solve};onmessage=(e)=>postMessage(${solve.name}(e.data[0],e.data[1],e.data[2]))`], { type: 'text/javascript' }));
      w = new Worker(workerUrl);
    } catch (e) {
      return reject(e);
    }
    w.onmessage = (e) => (w.terminate(), resolve(e.data));
    w.onerror = (e) => (e.preventDefault(), w.terminate(), reject(e));
    w.postMessage([c.salt, c.challenge, c.maxnumber]);
  });
}

// The X-Altcha header value for challenge c ({algorithm, challenge, maxnumber, salt, signature}).
export async function altcha(c) {
  let n;
  try {
    n = await inWorker(c);
  } catch {
    await new Promise((r) => setTimeout(r));
    n = solve(c.salt, c.challenge, c.maxnumber);
  }
  if (n < 0) throw new Error('unsolvable challenge');
  return btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature }));
}
