/* The booking chat's answers to questions about the business: opening hours (the union of the
 * professionals' weekly hours, grouped by weekday), prices and the address; the hours also for the agent
 * mode (bc_chat_hours_text). */
#include "domain/chat.h"
#include "domain/chat_internal.h"
#include "util/jsonv.h"
#include "domain/entity.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- FAQ ---- */

struct iv {
    int a, b;
};

static int cmp_iv(const void *x, const void *y)
{
    return ((const struct iv *)x)->a - ((const struct iv *)y)->a;
}

/* Opening hours: the union of the professionals' weekly hours, weekday by weekday. */
static void hours_text(struct chat *c, struct bc_buf *b)
{
    struct iv days[8][40];
    int nd[8] = {0};
    size_t i;
    json_t *p;
    json_array_foreach(c->providers, i, p)
    {
        const json_t *h = NULL; /* only read: the store's parsed item (no parse, no copy) */
        if (bc_entity_get_ro(c->env, c->ctx, "AVAIL", json_string_value(json_object_get(p, "id")), &h) < 0)
            continue;
        size_t j;
        json_t *r;
        json_array_foreach(json_object_get(bc_json_shared(h), "weekly"), j, r)
        {
            int wd = (int)json_integer_value(json_object_get(r, "weekday")), a, e;
            if (wd < 1 || wd > 7 || nd[wd] >= 40) continue;
            if (bc_tz_hhmm_parse(json_string_value(json_object_get(r, "start")), 0, &a) < 0 ||
                bc_tz_hhmm_parse(json_string_value(json_object_get(r, "end")), 1, &e) < 0)
                continue;
            days[wd][nd[wd]++] = (struct iv){a, e};
        }
        bc_json_release(h);
    }
    char lines[8][200];
    for (int wd = 1; wd <= 7; wd++) {
        qsort(days[wd], (size_t)nd[wd], sizeof days[wd][0], cmp_iv);
        int m = 0;
        for (int k = 0; k < nd[wd]; k++) {
            if (m && days[wd][k].a <= days[wd][m - 1].b) {
                if (days[wd][k].b > days[wd][m - 1].b) days[wd][m - 1].b = days[wd][k].b;
            } else {
                days[wd][m++] = days[wd][k];
            }
        }
        nd[wd] = m;
        lines[wd][0] = '\0';
        for (int k = 0; k < m; k++) {
            char a[8], e[8];
            bc_tz_hhmm_format(days[wd][k].a, a);
            bc_tz_hhmm_format(days[wd][k].b, e);
            size_t l = strlen(lines[wd]);
            snprintf(lines[wd] + l, sizeof lines[wd] - l, "%s%s–%s", k ? ", " : "", a, e);
        }
    }
    /* group consecutive weekdays with the same hours: "lunes – viernes: 09:00–13:00, 15:00–19:00" */
    for (int wd = 1; wd <= 7;) {
        int end = wd;
        while (end < 7 && strcmp(lines[end + 1], lines[wd]) == 0) end++;
        if (lines[wd][0]) {
            if (end > wd)
                bc_buf_printf(b, "%s – %s: %s\n", bc_chat_weekday_name(c->lang, wd),
                              bc_chat_weekday_name(c->lang, end), lines[wd]);
            else
                bc_buf_printf(b, "%s: %s\n", bc_chat_weekday_name(c->lang, wd), lines[wd]);
        }
        wd = end + 1;
    }
    if (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = '\0';
}

void bc__chat_answer_faq(struct chat *c, const char *which)
{
    struct bc_buf b = BC_BUF_INIT;
    json_t *biz = json_object_get(c->settings, "business");
    if (!strcmp(which, "hours")) {
        hours_text(c, &b);
        if (b.len)
            bc__chat_sayf(c, NULL, BC_T_HOURS, b.data);
        else
            bc__chat_say(c, T(c, BC_T_NO_HOURS), NULL);
    } else if (!strcmp(which, "prices")) {
        size_t i;
        json_t *s;
        json_array_foreach(c->services, i, s)
        {
            json_t *price = json_object_get(s, "price");
            bc_buf_printf(&b, "%s%s (%lld min)", i ? "\n" : "", json_string_value(json_object_get(s, "name")),
                          (long long)json_integer_value(json_object_get(s, "duration_min")));
            if (json_is_number(price))
                bc_buf_printf(&b, ": %.2f %s", json_number_value(price),
                              json_string_value(json_object_get(s, "currency")));
        }
        if (b.len)
            bc__chat_sayf(c, NULL, BC_T_PRICES, b.data);
        else
            bc__chat_say(c, T(c, BC_T_NO_SERVICES), NULL);
    } else {
        const char *addr = json_string_value(json_object_get(biz, "address"));
        if (addr && *addr)
            bc__chat_sayf(c, NULL, BC_T_LOCATION, addr);
        else
            bc__chat_say(c, T(c, BC_T_NO_LOCATION), NULL);
    }
    bc_buf_release(&b);
}

int bc_chat_hours_text(struct bc_env *env, const struct bc_ctx *ctx, const char *lang, char **out)
{
    struct chat c;
    struct bc_buf b = BC_BUF_INIT;
    *out = NULL;
    memset(&c, 0, sizeof c);
    c.env = env;
    c.ctx = ctx;
    c.lang = lang && strncmp(lang, "en", 2) == 0 ? "en" : "es";
    int rc = bc__chat_active(&c, "PROVIDER", &c.providers);
    if (rc < 0) return rc;
    hours_text(&c, &b);
    json_decref(c.providers);
    *out = b.data ? bc_buf_detach(&b, NULL) : strdup("");
    return *out ? 0 : BC_ENOMEM;
}
