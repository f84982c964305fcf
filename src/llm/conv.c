/* Conversations: messages of alternating roles made of text, tool-use and tool-result blocks, built by the
 * chat layer turn after turn, and their provider-neutral JSON form for storing them between turns. */
#include "llm/llm.h"
#include "llm/wire.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

void bc_llm_conv_init(struct bc_llm_conv *c)
{
    memset(c, 0, sizeof *c);
}

static void block_release(struct bc_llm_block *b)
{
    free(b->text);
    free(b->id);
    free(b->name);
    json_decref(b->json);
}

void bc_llm_conv_release(struct bc_llm_conv *c)
{
    for (size_t i = 0; i < c->nmsgs; i++) {
        for (size_t j = 0; j < c->msgs[i].nblocks; j++) block_release(&c->msgs[i].blocks[j]);
        free(c->msgs[i].blocks);
    }
    free(c->msgs);
    free(c->system);
    memset(c, 0, sizeof *c);
}

int bc_llm_conv_set_system(struct bc_llm_conv *c, const char *system)
{
    char *s = system ? strdup(system) : NULL;
    if (system && !s) return BC_ENOMEM;
    free(c->system);
    c->system = s;
    return 0;
}

/* Appends a block (its fields already owned) to the conversation; on failure the block is released. */
static int add_block(struct bc_llm_conv *c, enum bc_llm_role role, struct bc_llm_block *b)
{
    struct bc_llm_message *m = c->nmsgs ? &c->msgs[c->nmsgs - 1] : NULL;
    if (!m || m->role != role) {
        if (c->nmsgs == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 8;
            struct bc_llm_message *n = realloc(c->msgs, cap * sizeof *n);
            if (!n) goto oom;
            c->msgs = n;
            c->cap = cap;
        }
        m = &c->msgs[c->nmsgs++];
        memset(m, 0, sizeof *m);
        m->role = role;
    }
    struct bc_llm_block *nb = realloc(m->blocks, (m->nblocks + 1) * sizeof *nb);
    if (!nb) goto oom;
    m->blocks = nb;
    m->blocks[m->nblocks++] = *b;
    return 0;
oom:
    block_release(b);
    return BC_ENOMEM;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = true;
    return d;
}

int bc_llm_conv_add_text(struct bc_llm_conv *c, enum bc_llm_role role, const char *text)
{
    if (!text || (role != BC_LLM_USER && role != BC_LLM_ASSISTANT)) return BC_EINVALID;
    bool oom = false;
    struct bc_llm_block b = {.kind = BC_LLM_TEXT, .text = dup_or_null(text, &oom)};
    if (oom) return BC_ENOMEM;
    return add_block(c, role, &b);
}

int bc_llm_conv_add_tool_use(struct bc_llm_conv *c, const char *id, const char *name, json_t *input)
{
    if (!id || !*id || !name || !*name || (input && !json_is_object(input))) return BC_EINVALID;
    bool oom = false;
    struct bc_llm_block b = {
        .kind = BC_LLM_TOOL_USE, .id = dup_or_null(id, &oom), .name = dup_or_null(name, &oom)};
    b.json = input ? json_incref(input) : json_object();
    if (oom || !b.json) {
        block_release(&b);
        return BC_ENOMEM;
    }
    return add_block(c, BC_LLM_ASSISTANT, &b);
}

int bc_llm_conv_add_tool_result(struct bc_llm_conv *c, const char *tool_use_id, json_t *content_json,
                                const char *content_text, bool is_error)
{
    if (!tool_use_id || !*tool_use_id || (!content_json && !content_text)) return BC_EINVALID;
    bool oom = false;
    struct bc_llm_block b = {
        .kind = BC_LLM_TOOL_RESULT, .id = dup_or_null(tool_use_id, &oom), .is_error = is_error};
    if (content_json)
        b.json = json_incref(content_json);
    else
        b.text = dup_or_null(content_text, &oom);
    if (oom) {
        block_release(&b);
        return BC_ENOMEM;
    }
    return add_block(c, BC_LLM_USER, &b);
}

int bc_llm_conv_add_result(struct bc_llm_conv *c, const struct bc_llm_result *res)
{
    int rc = 0;
    if (res->text && *res->text) rc = bc_llm_conv_add_text(c, BC_LLM_ASSISTANT, res->text);
    for (size_t i = 0; rc == 0 && i < res->ncalls; i++) {
        json_t *in = res->calls[i].input;
        /* an input the model sent as invalid JSON goes back as {} (the tool result will say why) */
        rc =
            bc_llm_conv_add_tool_use(c, res->calls[i].id, res->calls[i].name, json_is_object(in) ? in : NULL);
    }
    return rc;
}

json_t *bc_llm_conv_to_json(const struct bc_llm_conv *c)
{
    json_t *msgs = json_array(), *root = json_object();
    if (!msgs || !root) goto oom;
    if (c->system && json_object_set_new(root, "system", json_string(c->system)) < 0) goto oom;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const struct bc_llm_message *m = &c->msgs[i];
        json_t *content = json_array();
        json_t *jm = json_pack("{s:s, s:o}", "role", m->role == BC_LLM_USER ? "user" : "assistant", "content",
                               content);
        if (!jm || json_array_append_new(msgs, jm) < 0) goto oom;
        for (size_t j = 0; j < m->nblocks; j++) {
            const struct bc_llm_block *b = &m->blocks[j];
            json_t *jb = NULL;
            if (b->kind == BC_LLM_TEXT)
                jb = json_pack("{s:s, s:s}", "type", "text", "text", b->text);
            else if (b->kind == BC_LLM_TOOL_USE)
                jb = json_pack("{s:s, s:s, s:s, s:O}", "type", "tool_use", "id", b->id, "name", b->name,
                               "input", b->json);
            else
                jb =
                    json_pack("{s:s, s:s, s:o, s:b}", "type", "tool_result", "tool_use_id", b->id, "content",
                              b->json ? json_incref(b->json) : json_string(b->text), "is_error", b->is_error);
            if (!jb || json_array_append_new(content, jb) < 0) goto oom;
        }
    }
    if (json_object_set_new(root, "messages", msgs) < 0) {
        msgs = NULL;
        goto oom;
    }
    return root;
oom:
    json_decref(msgs);
    json_decref(root);
    return NULL;
}

static int block_from_json(struct bc_llm_conv *c, enum bc_llm_role role, json_t *jb)
{
    const char *type = json_string_value(json_object_get(jb, "type"));
    if (!type) return BC_EINVALID;
    if (strcmp(type, "text") == 0) {
        const char *t = json_string_value(json_object_get(jb, "text"));
        return t ? bc_llm_conv_add_text(c, role, t) : BC_EINVALID;
    }
    if (strcmp(type, "tool_use") == 0) {
        if (role != BC_LLM_ASSISTANT) return BC_EINVALID;
        json_t *in = json_object_get(jb, "input");
        return bc_llm_conv_add_tool_use(c, json_string_value(json_object_get(jb, "id")),
                                        json_string_value(json_object_get(jb, "name")), in ? in : NULL);
    }
    if (strcmp(type, "tool_result") == 0) {
        if (role != BC_LLM_USER) return BC_EINVALID;
        json_t *content = json_object_get(jb, "content");
        json_t *err = json_object_get(jb, "is_error");
        if (!content || (err && !json_is_boolean(err))) return BC_EINVALID;
        return bc_llm_conv_add_tool_result(c, json_string_value(json_object_get(jb, "tool_use_id")),
                                           json_is_string(content) ? NULL : content,
                                           json_string_value(content), json_is_true(err));
    }
    return BC_EINVALID;
}

int bc_llm_conv_from_json(struct bc_llm_conv *c, json_t *j)
{
    int rc = BC_EINVALID;
    json_t *sys = json_object_get(j, "system"), *msgs = json_object_get(j, "messages");
    if (!json_is_object(j) || !json_is_array(msgs) || (sys && !json_is_string(sys) && !json_is_null(sys)))
        goto out;
    if (json_is_string(sys) && (rc = bc_llm_conv_set_system(c, json_string_value(sys))) < 0) goto out;
    size_t i;
    json_t *jm;
    json_array_foreach(msgs, i, jm)
    {
        const char *role = json_string_value(json_object_get(jm, "role"));
        json_t *content = json_object_get(jm, "content");
        enum bc_llm_role r = role && strcmp(role, "user") == 0        ? BC_LLM_USER
                             : role && strcmp(role, "assistant") == 0 ? BC_LLM_ASSISTANT
                                                                      : 0;
        rc = BC_EINVALID;
        if (!r || !json_is_array(content)) goto out;
        size_t k;
        json_t *jb;
        json_array_foreach(content, k, jb)
        {
            if ((rc = block_from_json(c, r, jb)) < 0) goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0) bc_llm_conv_release(c);
    return rc;
}
