/* The widget chat of an organisation: before anything else, which branch (docs/organisations.md). The
 * conversation stays the organisation's (its partition, its key's token); once a branch is chosen its
 * turns run in the branch's tenant context, so the catalogue, hours, bookings and settings are the
 * branch's, exactly as in that branch's own widget. */
#include "domain/org.h"
#include "domain/chat.h"
#include "domain/chat_text.h"
#include "domain/conversation.h"
#include "domain/settings.h"
#include "domain/tenant.h"
#include "nlu/nlu.h"
#include "util/err.h"
#include "util/jsonv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool bc_org_has_branches(const json_t *meta)
{
    return json_is_true(json_object_get(meta, "has_branches"));
}

/* A context on the branch for the organisation's widget key (its key, origin and visitor), when the branch
 * is still the organisation's and active. */
static int branch_ctx(struct bc_env *env, const struct bc_ctx *org, const char *id, struct bc_ctx *out)
{
    const json_t *meta = NULL;
    struct bc_ctx b;
    int rc = bc_ctx_operator(&b, id);
    if (rc == 0) rc = bc_tenant_get_ro(env, &b, &meta);
    const char *parent =
        rc == 0 ? json_string_value(json_object_get(bc_json_shared(meta), "parent_id")) : NULL;
    if (rc == 0 && (!parent || strcmp(parent, org->tenant_id) != 0)) rc = BC_ENOT_FOUND;
    if (rc == 0) rc = bc_tenant_check_active(bc_json_shared(meta));
    if (rc < 0) {
        bc_json_release(meta);
        return rc;
    }
    *out = *org;
    out->tenant = meta;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", id);
    snprintf(out->org_id, sizeof out->org_id, "%s", org->tenant_id);
    return 0;
}

struct names {
    struct bc_env *env;
    const char *org_name;
    json_t *list; /* [{id, name, address}] */
};

static int add_name(const json_t *meta, void *arg)
{
    struct names *n = arg;
    struct bc_ctx b;
    json_t *settings = NULL;
    const char *id = json_string_value(json_object_get(meta, "id"));
    if (bc_tenant_check_active(meta) < 0 || bc_ctx_operator(&b, id) < 0) return 0;
    if (bc_settings_get(n->env, &b, &settings) < 0) settings = NULL;
    json_t *address = json_object_get(json_object_get(settings, "business"), "address");
    json_array_append_new(n->list,
                          json_pack("{s:s, s:O, s:s}", "id", id, "name", json_object_get(meta, "name"),
                                    "address", json_is_string(address) ? json_string_value(address) : ""));
    json_decref(settings);
    return 0;
}

/* The words of a branch's name that are not the organisation's ("Sol Chamberí" of "Clínicas Sol":
 * "Chamberí"), and the town of its address (the part after the last comma, without the postal code). */
static void branch_synonyms(const char *org_name, const char *name, const char *address, char out[2][128])
{
    out[0][0] = out[1][0] = '\0';
    const char *w = name;
    while (*w) {
        while (*w == ' ') w++;
        size_t n = strcspn(w, " ");
        if (n) {
            char word[128];
            snprintf(word, sizeof word, "%.*s", (int)n, w);
            if (!org_name || !strstr(org_name, word)) {
                size_t l = strlen(out[0]);
                snprintf(out[0] + l, sizeof out[0] - l, "%s%s", l ? " " : "", word);
            }
        }
        w += n;
    }
    const char *comma = address ? strrchr(address, ',') : NULL;
    const char *town = comma ? comma + 1 : address ? address : "";
    while (*town == ' ' || isdigit((unsigned char)*town)) town++;
    snprintf(out[1], sizeof out[1], "%s", town);
}

/* The 5-digit postal codes of text found in a branch's address: that branch, when only one has it. */
static const char *by_postal_code(json_t *list, const char *text)
{
    const char *found = NULL;
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)p[0]) || (p > text && isdigit((unsigned char)p[-1]))) continue;
        size_t n = strspn(p, "0123456789");
        if (n != 5) continue;
        char code[6];
        memcpy(code, p, 5);
        code[5] = '\0';
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            if (!strstr(json_string_value(json_object_get(b, "address")), code)) continue;
            if (found && strcmp(found, json_string_value(json_object_get(b, "id"))) != 0) return NULL;
            found = json_string_value(json_object_get(b, "id"));
        }
    }
    return found;
}

/* Which branch the text names (by name, town or postal code): its id, or NULL with the candidates in
 * *some (NULL when nothing matched). */
static const char *match(json_t *list, const char *org_name, const char *text, const char *lang,
                         json_t **some)
{
    *some = NULL;
    const char *id = by_postal_code(list, text);
    if (id) return id;
    struct bc_nlu_catalog *cat = bc_nlu_catalog_new();
    if (!cat) return NULL;
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b)
    {
        char syn[2][128];
        const char *name = json_string_value(json_object_get(b, "name"));
        branch_synonyms(org_name, name, json_string_value(json_object_get(b, "address")), syn);
        const char *s[2];
        size_t n = 0;
        for (int k = 0; k < 2; k++)
            if (syn[k][0]) s[n++] = syn[k];
        bc_nlu_catalog_add(cat, BC_NLU_SERVICE, json_string_value(json_object_get(b, "id")), name, s, n);
    }
    /* only names are read here: any valid day will do as the reference (1 January 2026, a Thursday) */
    struct bc_nlu_request req = {.text = text,
                                 .len = strlen(text),
                                 .lang = lang,
                                 .now = {2026, 1, 1, 4, 12, 0},
                                 .catalog = cat,
                                 .expect = BC_NLU_EXPECT_SERVICE};
    struct bc_nlu_result r;
    if (bc_nlu_parse(&req, &r) == 0) {
        if (r.service_id) {
            json_array_foreach(list, i,
                               b) if (strcmp(json_string_value(json_object_get(b, "id")), r.service_id) == 0)
            {
                bc_nlu_catalog_free(cat);
                return json_string_value(json_object_get(b, "id"));
            }
        }
        if (r.n_service_candidates >= 2) {
            *some = json_array();
            for (int k = 0; k < r.n_service_candidates; k++)
                json_array_foreach(list, i, b) if (strcmp(json_string_value(json_object_get(b, "id")),
                                                          r.service_candidates[k]) == 0)
                    json_array_append(*some, b);
        }
    }
    bc_nlu_catalog_free(cat);
    return NULL;
}

/* "¿En qué centro quieres la cita?" with the branches (of some, else all) as quick replies. */
static json_t *ask(const char *lang, json_t *list)
{
    json_t *qr = json_array();
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b)
    {
        char payload[96];
        snprintf(payload, sizeof payload, "branch:%s", json_string_value(json_object_get(b, "id")));
        json_array_append_new(
            qr, json_pack("{s:O, s:s}", "label", json_object_get(b, "name"), "payload", payload));
    }
    return json_pack("{s:s, s:s, s:o}", "role", "assistant", "text", bc_chat_text(lang, BC_T_ASK_BRANCH),
                     "quick_replies", qr);
}

static int branches(struct bc_env *env, const struct bc_ctx *org, json_t **list)
{
    struct names n = {env, json_string_value(json_object_get(org->tenant, "name")), json_array()};
    int rc = bc_org_each_branch(env, org, add_name, &n);
    *list = n.list;
    return rc;
}

int bc_org_chat_start(struct bc_env *env, const struct bc_ctx *org, const char *lang, json_t **conv,
                      json_t **messages)
{
    json_t *settings = NULL, *list = NULL;
    *conv = *messages = NULL;
    int rc = bc_settings_get(env, org, &settings);
    if (rc < 0) return rc;
    if (!lang || !bc_nlu_lang_supported(lang)) lang = json_string_value(json_object_get(settings, "locale"));
    lang = strncmp(lang ? lang : "es", "en", 2) == 0 ? "en" : "es";
    json_t *cv = bc_conv_new(
        org, lang, (int)json_integer_value(json_object_get(settings, "conversation_retention_days")));
    json_decref(settings);
    if (!cv) return BC_ENOMEM;
    json_object_set_new(cv, "state", json_string("branch"));
    if ((rc = branches(env, org, &list)) == 0) {
        json_t *hello = json_pack("{s:s, s:s, s:[]}", "role", "assistant", "text",
                                  bc_chat_text(lang, BC_T_HELLO), "quick_replies"),
               *q = ask(lang, list);
        json_t *items[2] = {bc_conv_message_item(cv, "assistant", hello),
                            bc_conv_message_item(cv, "assistant", q)};
        rc = items[0] && items[1] ? bc_conv_save_with(env, cv, items, 2) : BC_ENOMEM;
        json_decref(items[0]);
        json_decref(items[1]);
        if (rc == 0)
            *messages = json_pack("[o, o]", hello, q);
        else {
            json_decref(hello);
            json_decref(q);
        }
    }
    json_decref(list);
    if (rc == 0)
        *conv = cv;
    else
        json_decref(cv);
    return rc;
}

int bc_org_chat_route(struct bc_env *env, const struct bc_ctx *org, json_t *conv, const char *text,
                      const char *action, struct bc_ctx *branch, json_t **messages)
{
    *messages = NULL;
    memset(branch, 0, sizeof *branch);
    if (!bc_org_has_branches(org->tenant)) return 0;
    const char *chosen = json_string_value(json_object_get(conv, "branch_id"));
    if (chosen && branch_ctx(env, org, chosen, branch) == 0) return 0;
    json_object_del(conv, "branch_id"); /* no longer one of ours: ask again */
    json_t *list = NULL, *some = NULL;
    const char *lang = json_string_value(json_object_get(conv, "lang"));
    int rc = branches(env, org, &list);
    const char *id = NULL;
    if (rc == 0 && action && strncmp(action, "branch:", 7) == 0) {
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b) if (strcmp(json_string_value(json_object_get(b, "id")), action + 7) ==
                                           0) id = action + 7;
    } else if (rc == 0 && text) {
        id = match(list, json_string_value(json_object_get(org->tenant, "name")), text, lang, &some);
    }
    if (rc == 0 && id && (rc = branch_ctx(env, org, id, branch)) == 0) {
        json_object_set_new(conv, "branch_id", json_string(id));
        json_object_set_new(conv, "state", json_string("service"));
    } else if (rc == 0 || rc == BC_ENOT_FOUND) {
        /* nothing chosen: the customer's words and the question again, among the candidates if any */
        json_t *user = text ? json_pack("{s:s, s:s}", "role", "user", "text", text) : NULL,
               *q = ask(lang, some ? some : list), *items[2];
        size_t n = 0;
        if (user) items[n++] = bc_conv_message_item(conv, "user", user);
        items[n++] = bc_conv_message_item(conv, "assistant", q);
        rc = items[0] && items[n - 1] ? bc_conv_save_with(env, conv, items, n) : BC_ENOMEM;
        for (size_t i = 0; i < n; i++) json_decref(items[i]);
        json_decref(user);
        if (rc == 0)
            *messages = json_pack("[o]", q);
        else
            json_decref(q);
        if (rc == 0) rc = 1;
    }
    json_decref(some);
    json_decref(list);
    return rc;
}
