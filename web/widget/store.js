// Where the widget keeps its conversation: localStorage under a name derived from the API base and the
// key, so it survives page loads and is shared by the tabs of one site (a 'storage' event tells the other
// tabs), and one site's two keys (or two tenants) never mix. Falls back to memory when storage is blocked.
function hash(s) {
  let h = 0x811c9dc5; // FNV-1a, 32 bits: only a short, stable name
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function storage(kind) {
  try {
    const s = window[kind];
    s.setItem('bookchat:probe', '1');
    s.removeItem('bookchat:probe');
    return s;
  } catch {
    return null;
  }
}

export function conversationStore(base, key) {
  const name = 'bookchat:' + hash(base + '|' + key);
  const local = storage('localStorage'), session = storage('sessionStorage');
  const mem = {};
  const read = (s, k) => (s ? s.getItem(k) : mem[k]) || null;
  const write = (s, k, v) => {
    try {
      if (!s) mem[k] = v;
      else if (v === null) s.removeItem(k);
      else s.setItem(k, v);
    } catch {
      mem[k] = v; // quota: keep it for this page at least
    }
  };
  return {
    // {id, token, n}: the conversation and how many messages this tab knows of it
    get() {
      try {
        const v = JSON.parse(read(local, name));
        return v && typeof v.id === 'string' && typeof v.token === 'string' ? v : null;
      } catch {
        return null;
      }
    },
    set(v) {
      write(local, name, v ? JSON.stringify(v) : null);
    },
    // whether the panel was open in this tab (reopened after a navigation)
    get open() {
      return read(session, name + ':open') === '1';
    },
    set open(v) {
      write(session, name + ':open', v ? '1' : null);
    },
    onChange(cb) {
      window.addEventListener('storage', (e) => {
        if (e.key === name) cb();
      });
    },
  };
}
