// A fake LLM provider for the API tests and the load test: one local HTTP server that speaks Anthropic's
// Messages API (POST /v1/messages, with and without stream) and OpenAI's Chat Completions
// (POST /v1/chat/completions, with and without stream), answering from a script the test sets.
//
//   const fake = await new FakeLLM().start();        // fake.url → BOOKCHAT_ANTHROPIC_URL / BOOKCHAT_OPENAI_URL
//   fake.script = (call) => ({ text: 'hola' });       // or { tools: [{ name, input }] }, { json: {...} },
//                                                     // { status: 500 }, { hang: true }, { delayMs: 2000, ... }
//
// The script gets the request normalised across both protocols:
//   call.provider ('anthropic' | 'openai'), call.model, call.system, call.stream, call.tools (names),
//   call.structured (a forced JSON answer was asked for), call.userText (the last customer text),
//   call.results (this turn's tool results: [{ name, content (parsed JSON when possible), isError }]),
//   call.messages (normalised transcript), call.body (raw), call.headers.
// Every call is recorded in fake.calls.
import { createServer } from 'node:http';

export class FakeLLM {
  constructor() {
    this.calls = [];
    this.script = () => ({ text: 'ok' });
    this.usage = { in: 100, out: 20 };
    this.sockets = new Set();
    this.seq = 0;
  }

  async start() {
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.keepAliveTimeout = 60000;
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  #handle(req, res) {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      let body;
      try { body = JSON.parse(raw); } catch { res.writeHead(400); res.end('{}'); return; }
      const provider = req.url.endsWith('/v1/messages') ? 'anthropic' : req.url.endsWith('/chat/completions') ? 'openai' : null;
      if (!provider) { res.writeHead(404); res.end('{}'); return; }
      const call = normalise(provider, body, req.headers);
      this.calls.push(call);
      let out;
      try { out = (await this.script(call)) || { text: '' }; } catch (e) { out = { status: 500, message: String(e) }; }
      if (out.hang) return; // never answers; the socket is destroyed by stop()
      if (out.delayMs) await new Promise((r) => setTimeout(r, out.delayMs));
      if (out.status && out.status !== 200) return sendError(res, provider, out);
      const usage = out.usage || this.usage;
      const id = () => `${provider === 'anthropic' ? 'toolu' : 'call'}_${++this.seq}`;
      const tools = (out.tools || []).map((t) => ({ id: t.id || id(), name: t.name, input: t.input || {} }));
      if (out.json) tools.push({ id: id(), name: call.schemaName || 'structured_answer', input: out.json, structured: true });
      if (provider === 'anthropic') anthropic(res, call, out, tools, usage);
      else openai(res, call, out, tools, usage);
    });
  }
}

function parse(s) { try { return JSON.parse(s); } catch { return s; } }

function normalise(provider, body, headers) {
  const msgs = [];
  const push = (role) => {
    const last = msgs[msgs.length - 1];
    if (last && last.role === role) return last;
    const m = { role, texts: [], toolUses: [], toolResults: [] };
    msgs.push(m);
    return m;
  };
  let system = '';
  let structured = false, schemaName = null, schema = null;
  const tools = [];
  if (provider === 'anthropic') {
    system = typeof body.system === 'string' ? body.system : '';
    for (const m of body.messages || []) {
      const n = push(m.role);
      const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
      for (const b of blocks) {
        if (b.type === 'text') n.texts.push(b.text);
        else if (b.type === 'tool_use') n.toolUses.push({ id: b.id, name: b.name, input: b.input });
        else if (b.type === 'tool_result') n.toolResults.push({ id: b.tool_use_id, content: parse(b.content), isError: !!b.is_error });
      }
    }
    if (body.tool_choice?.type === 'tool') { structured = true; schemaName = body.tool_choice.name; }
    for (const t of body.tools || []) {
      if (t.name === schemaName) schema = t.input_schema; else tools.push(t.name);
    }
  } else {
    for (const m of body.messages || []) {
      if (m.role === 'system') { system += m.content; continue; }
      if (m.role === 'tool') {
        const c = typeof m.content === 'string' && m.content.startsWith('ERROR: ') ? m.content.slice(7) : m.content;
        push('user').toolResults.push({ id: m.tool_call_id, content: parse(c), isError: m.content.startsWith('ERROR: ') });
        continue;
      }
      const n = push(m.role);
      if (typeof m.content === 'string' && m.content) n.texts.push(m.content);
      for (const tc of m.tool_calls || []) n.toolUses.push({ id: tc.id, name: tc.function.name, input: parse(tc.function.arguments) });
    }
    if (body.response_format?.type === 'json_schema') {
      structured = true; schemaName = body.response_format.json_schema.name; schema = body.response_format.json_schema.schema;
    }
    for (const t of body.tools || []) tools.push(t.function.name);
  }
  // the current turn: from the last user message with text
  let start = -1;
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === 'user' && msgs[i].texts.length) { start = i; break; }
  const names = {};
  for (const m of msgs) for (const u of m.toolUses) names[u.id] = u.name;
  const results = [];
  for (let i = start + 1; i < msgs.length; i++) for (const r of msgs[i].toolResults) results.push({ ...r, name: names[r.id] });
  return {
    provider, model: body.model, system, stream: !!body.stream, tools, structured, schemaName, schema,
    userText: start >= 0 ? msgs[start].texts.join('\n') : '', results, messages: msgs, body, headers,
  };
}

function sendError(res, provider, out) {
  const status = out.status;
  const body = provider === 'anthropic'
    ? { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message: out.message || 'scripted error' } }
    : { error: { message: out.message || 'scripted error', type: 'server_error', code: status === 429 ? 'rate_limited' : null } };
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function anthropic(res, call, out, tools, usage) {
  const content = [];
  if (out.text) content.push({ type: 'text', text: out.text });
  for (const t of tools) content.push({ type: 'tool_use', id: t.id, name: t.name, input: t.input });
  const stop = tools.length ? 'tool_use' : 'end_turn';
  if (!call.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'msg_fake', type: 'message', role: 'assistant', model: call.model, content, stop_reason: stop, stop_sequence: null, usage: { input_tokens: usage.in, output_tokens: usage.out } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model: call.model, usage: { input_tokens: usage.in, output_tokens: 1 } } });
  content.forEach((b, index) => {
    if (b.type === 'text') {
      ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
      // a few pieces, as a real stream would send them
      const words = b.text.split(/(?<= )/);
      for (const w of words) ev('content_block_delta', { index, delta: { type: 'text_delta', text: w } });
    } else {
      ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    }
    ev('content_block_stop', { index });
  });
  ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.out } });
  ev('message_stop', {});
  res.end();
}

function openai(res, call, out, tools, usage) {
  const structured = tools.find((t) => t.structured);
  const calls = tools.filter((t) => !t.structured).map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input) } }));
  const text = structured ? JSON.stringify(structured.input) : (out.text || null);
  const finish = calls.length ? 'tool_calls' : 'stop';
  const u = { prompt_tokens: usage.in, completion_tokens: usage.out, total_tokens: usage.in + usage.out };
  if (!call.stream) {
    const message = { role: 'assistant', content: text };
    if (calls.length) message.tool_calls = calls;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion', model: call.model, choices: [{ index: 0, message, finish_reason: finish }], usage: u }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta, finish_reason = null, extra = {}) => res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', model: call.model, choices: [{ index: 0, delta, finish_reason }], ...extra })}\n\n`);
  chunk({ role: 'assistant', content: '' });
  if (text) for (const w of text.split(/(?<= )/)) chunk({ content: w });
  calls.forEach((c, index) => chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }] }));
  chunk({}, finish);
  res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [], usage: u })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}
