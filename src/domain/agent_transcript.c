/* The agent's transcript for the model, kept on the conversation item under "agent" (provider-neutral
 * JSON): loaded when a turn opens, trimmed by whole turns and stored when it ends, and fed with the turns
 * that fsm mode answered instead (bc_agent_record_fsm). */
#include "domain/agent_internal.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define HISTORY_MAX_MSGS  40    /* transcript kept for the model, in messages … */
#define HISTORY_MAX_BYTES 48000 /* … and in bytes of JSON */

/* Loads the stored transcript into c; a broken one is dropped (the model starts afresh). */
void bc__agent_load_history(struct bc_llm_conv *c, json_t *state)
{
    json_t *msgs = json_object_get(state, "history");
    if (!json_is_array(msgs)) return;
    json_t *j = json_pack("{s:O}", "messages", msgs);
    if (bc_llm_conv_from_json(c, j) < 0) bc_llm_conv_init(c);
    json_decref(j);
}

/* Keeps the transcript within HISTORY_MAX_MSGS and HISTORY_MAX_BYTES, cutting whole turns from the front
 * (a turn starts at a user message with text and no tool result), never the current one. */
static json_t *trimmed_history(struct bc_agent *a, const struct bc_llm_conv *c)
{
    json_t *j = bc_llm_conv_to_json(c);
    json_t *msgs = json_incref(json_object_get(j, "messages"));
    json_decref(j);
    if (!msgs) return NULL;
    for (;;) {
        size_t n = json_array_size(msgs);
        char *dump = json_dumps(msgs, JSON_COMPACT);
        size_t bytes = dump ? strlen(dump) : 0;
        free(dump);
        if (n <= HISTORY_MAX_MSGS && bytes <= HISTORY_MAX_BYTES) break;
        /* the next turn start after the first message */
        size_t cut = 0;
        for (size_t i = 1; i < n && !cut; i++) {
            json_t *m = json_array_get(msgs, i);
            if (strcmp(S(m, "role"), "user") != 0) continue;
            bool text = false, result = false;
            size_t k;
            json_t *blk;
            json_array_foreach(json_object_get(m, "content"), k, blk)
            {
                text |= !strcmp(S(blk, "type"), "text");
                result |= !strcmp(S(blk, "type"), "tool_result");
            }
            if (text && !result) cut = i;
        }
        if (!cut) break;
        for (size_t i = 0; i < cut; i++) json_array_remove(msgs, 0);
    }
    return msgs;
}

void bc__agent_store_state(struct bc_agent *a, json_t *conv, const struct bc_llm_conv *c)
{
    json_t *h = trimmed_history(a, c);
    if (h) json_object_set_new(a->state, "history", h);
    json_object_set(conv, "agent", a->state);
}

int bc_agent_record_fsm(struct bc_agent *a, json_t *conv, const char *user_text, json_t *messages)
{
    struct bc_buf b = BC_BUF_INIT;
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) if (S(m, "text"))
        bc_buf_printf(&b, "%s%s", b.len ? "\n" : "", S(m, "text"));
    struct bc_llm_conv own;
    struct bc_llm_conv *c = a ? &a->llm : &own;
    struct bc_agent tmp;
    int rc = 0;
    if (!a) {
        /* no agent turn was opened: work on the stored state directly */
        memset(&tmp, 0, sizeof tmp);
        json_t *st = json_object_get(conv, "agent");
        tmp.state = json_is_object(st) ? json_deep_copy(st) : json_object();
        bc_llm_conv_init(&own);
        bc__agent_load_history(&own, tmp.state);
        json_object_set_new(tmp.state, "turn",
                            json_integer(json_integer_value(json_object_get(tmp.state, "turn")) + 1));
        rc = bc_llm_conv_add_text(&own, BC_LLM_USER, user_text);
    }
    if (rc == 0 && b.len) rc = bc_llm_conv_add_text(c, BC_LLM_ASSISTANT, b.data);
    if (rc == 0) bc__agent_store_state(a ? a : &tmp, conv, c);
    if (!a) {
        json_decref(tmp.state);
        bc_llm_conv_release(&own);
    }
    bc_buf_release(&b);
    return rc;
}
