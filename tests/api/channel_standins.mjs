// Stand-ins for Meta's Graph API (WhatsApp Cloud API) and the Telegram Bot API, and the providers' webhook
// deliveries, shaped as their documentation shows them:
// - WhatsApp: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples (messages,
//   interactive button_reply / list_reply, statuses) and POST /{version}/{phone_number_id}/messages answers
//   {"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid…"}]}.
// - Telegram: https://core.telegram.org/bots/api#update (message, callback_query) and the methods' answers
//   {"ok":true,"result":…}.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';

// A recording HTTP server: every request as {method, path, headers, body (parsed JSON)}; fail(n, status)
// makes the next n requests answer status.
export async function standIn(answer) {
  const calls = [];
  let failures = [];
  const waiters = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      let body;
      try { body = JSON.parse(data); } catch { body = data; }
      const call = { method: req.method, path: req.url, headers: req.headers, body };
      const f = failures.shift();
      if (f) {
        call.failed = f;
        calls.push(call);
        res.writeHead(f, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'stand-in failure', code: f } }));
        return;
      }
      calls.push(call);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(call)));
      for (const w of [...waiters]) w();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    calls,
    fail(n, status) { failures = Array(n).fill(status); },
    // waits until pred(calls) holds (5 s at most)
    async until(pred, what = 'stand-in calls') {
      const t0 = Date.now();
      while (!pred(calls)) {
        if (Date.now() - t0 > 5000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(calls.slice(-5), null, 1)}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
        waiters.length = 0;
      }
    },
    close() { return new Promise((r) => server.close(r)); },
  };
}

let wamidSeq = 0;
export function graphStandIn() {
  return standIn((call) => ({
    messaging_product: 'whatsapp',
    contacts: [{ input: call.body?.to, wa_id: call.body?.to }],
    messages: [{ id: `wamid.OUT${++wamidSeq}` }],
  }));
}

let tgSeq = 0;
export function botStandIn() {
  return standIn((call) => {
    if (call.path.endsWith('/sendMessage')) {
      return { ok: true, result: { message_id: ++tgSeq, date: 1764489600, chat: { id: call.body.chat_id, type: 'private' }, text: call.body.text } };
    }
    return { ok: true, result: true, description: 'Webhook was set' };
  });
}

// ---- WhatsApp deliveries ----

export const WA_PHONE_ID = '106540352242922';
export const WA_WABA_ID = '102290129340398';

export function waEnvelope(value, phoneId = WA_PHONE_ID) {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: WA_WABA_ID,
      changes: [{
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: phoneId },
          ...value,
        },
        field: 'messages',
      }],
    }],
  };
}

let inSeq = 0;
export function waText(from, body, { name = 'Sheena Nelson', id } = {}) {
  return waEnvelope({
    contacts: [{ profile: { name }, wa_id: from }],
    messages: [{ from, id: id || `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA${++inSeq}=`, timestamp: '1764489600', text: { body }, type: 'text' }],
  });
}

export function waButton(from, reply, kind = 'button_reply') {
  return waEnvelope({
    contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: from }],
    messages: [{
      context: { from: '15550783881', id: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1QjJGRjI1RDY0RkE4Nzg4QzcA' },
      from,
      id: `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA${++inSeq}=`,
      timestamp: '1764489660',
      type: 'interactive',
      interactive: { type: kind, [kind]: reply },
    }],
  });
}

export function waStatus(to) {
  return waEnvelope({
    statuses: [{
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
      status: 'delivered',
      timestamp: '1764489700',
      recipient_id: to,
      conversation: { id: 'CONVERSATION_ID', origin: { type: 'service' } },
      pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
    }],
  });
}

export function waSign(secret, raw) {
  return 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
}

// ---- Telegram updates ----

let updateSeq = 500000000;
export function tgText(chatId, text, { update_id } = {}) {
  const from = { id: chatId, is_bot: false, first_name: 'John', last_name: 'Doe', username: 'johndoe', language_code: 'en' };
  return { update_id: update_id ?? ++updateSeq, message: { message_id: updateSeq % 1000, from, chat: { id: chatId, first_name: 'John', last_name: 'Doe', username: 'johndoe', type: 'private' }, date: 1764489600, text } };
}

export function tgCallback(chatId, data) {
  const from = { id: chatId, is_bot: false, first_name: 'John', username: 'johndoe', language_code: 'en' };
  return {
    update_id: ++updateSeq,
    callback_query: {
      id: `4382bfdwdsb323b2d${updateSeq}`,
      from,
      message: { message_id: 77, from: { id: 7000000001, is_bot: true, first_name: 'Studio Nine', username: 'studio_nine_bot' }, chat: { id: chatId, first_name: 'John', type: 'private' }, date: 1764489600, text: 'Which service?' },
      chat_instance: '-4471257330585731734',
      data,
    },
  };
}
