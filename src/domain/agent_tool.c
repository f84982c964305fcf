/* The agent's tools as the model sees them (names, descriptions, JSON schemas) and as the server checks
 * them (field tables, util/jsonv.h), and the dispatch of one tool call to its action (agent_lookup.c,
 * agent_booking.c) after validating its arguments like API input. */
#include "domain/agent_internal.h"
#include "domain/nlp.h"
#include "util/jsonv.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct bc_jfield no_fields[] = {{NULL}};

static const struct bc_jfield list_pros_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {NULL},
};

static const struct bc_jfield avail_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64}, {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64},
    {"from", BC_J_STRING, BC_JF_REQUIRED, 10, 10},      {"to", BC_J_STRING, BC_JF_NULLABLE, 10, 10},
    {"part_of_day", BC_J_STRING, BC_JF_NULLABLE, 5, 9}, {NULL},
};

static const struct bc_jfield book_fields[] = {
    {"service_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64},
    {"provider_id", BC_J_STRING, BC_JF_REQUIRED, 1, 64},
    {"start", BC_J_STRING, BC_JF_REQUIRED, 16, 40},
    {"customer_name", BC_J_STRING, BC_JF_REQUIRED, 1, 120},
    {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"phone", BC_J_STRING, BC_JF_NULLABLE, 0, 30},
    {"notes", BC_J_STRING, BC_JF_NULLABLE | BC_JF_MULTILINE, 0, 1000},
    {NULL},
};

static const struct bc_jfield cancel_fields[] = {
    {"code", BC_J_STRING, BC_JF_REQUIRED, 4, 16},
    {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"phone", BC_J_STRING, BC_JF_NULLABLE, 0, 30},
    {NULL},
};

static const struct bc_jfield resched_fields[] = {
    {"code", BC_J_STRING, BC_JF_REQUIRED, 4, 16},        {"email", BC_J_STRING, BC_JF_NULLABLE, 0, 120},
    {"phone", BC_J_STRING, BC_JF_NULLABLE, 0, 30},       {"new_start", BC_J_STRING, BC_JF_REQUIRED, 16, 40},
    {"provider_id", BC_J_STRING, BC_JF_NULLABLE, 1, 64}, {NULL},
};

static const char *const schemas[] = {
    "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\",\"description\":\"only the "
    "professionals who do this service\"}},\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\"},\"provider_id\":{\"type\":"
    "\"string\",\"description\":\"a professional's id, or \\\"any\\\" (default)\"},\"from\":{\"type\":"
    "\"string\",\"description\":\"first local date, YYYY-MM-DD\"},\"to\":{\"type\":\"string\","
    "\"description\":\"last local date, YYYY-MM-DD, at most 14 days after from (default: from + 6)\"},"
    "\"part_of_day\":{\"type\":\"string\",\"enum\":[\"morning\",\"afternoon\",\"evening\"]}},\"required\":["
    "\"service_id\",\"from\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"service_id\":{\"type\":\"string\"},\"provider_id\":{\"type\":"
    "\"string\",\"description\":\"the professional of the slot, or \\\"any\\\"\"},\"start\":{\"type\":"
    "\"string\",\"description\":\"the slot's start exactly as find_availability returned it\"},"
    "\"customer_name\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"},\"phone\":{\"type\":\"string\"},"
    "\"notes\":{\"type\":\"string\"}},\"required\":[\"service_id\",\"provider_id\",\"start\",\"customer_"
    "name\"],"
    "\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"description\":\"the booking "
    "code\"},"
    "\"email\":{\"type\":\"string\"},\"phone\":{\"type\":\"string\"}},\"required\":[\"code\"],"
    "\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"},"
    "\"phone\":{\"type\":\"string\"},\"new_start\":{\"type\":\"string\",\"description\":\"a start that "
    "find_availability returned for the booking's service\"},\"provider_id\":{\"type\":\"string\","
    "\"description\":\"the new professional, \\\"any\\\", or omitted to keep the same\"}},\"required\":["
    "\"code\",\"new_start\"],\"additionalProperties\":false}",
    "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
};

/* Process-wide, not per store: the table is the same for every tenant and store and immutable once
 * tools_init has parsed the schemas (a json_t cannot be built as const data, and struct bc_llm_tool takes a
 * parsed schema). */
static struct bc_llm_tool tools[] = {
    {"list_services", "The services that can be booked: id, name, description, duration, price.", NULL},
    {"list_professionals", "The professionals (id, name, the ids of the services they do).", NULL},
    {"find_availability",
     "Free start times for a service between two local dates, optionally with one professional and in one "
     "part of the day. Only times returned here can be booked. Days closed for a public holiday are listed "
     "in closed, with the holiday's name.",
     NULL},
    {"create_booking",
     "Books a slot returned by find_availability for the customer (name and an e-mail or a phone). The "
     "first call returns a summary to show to the customer; call it again with the same arguments after "
     "the customer says yes.",
     NULL},
    {"cancel_booking",
     "Cancels the customer's booking, given its code and the e-mail or phone it was made with. The first "
     "call returns a summary to confirm; call again after the customer says yes.",
     NULL},
    {"reschedule_booking",
     "Moves the customer's booking (code and the e-mail or phone it was made with) to a start returned by "
     "find_availability for its service. The first call returns a summary to confirm; call again after the "
     "customer says yes.",
     NULL},
    {"business_info",
     "The business's name, address, contact, description, opening hours, today's date and the booking and "
     "cancellation policies.",
     NULL},
};
#define NTOOLS (sizeof tools / sizeof tools[0])

static pthread_once_t tools_once = PTHREAD_ONCE_INIT;
static void tools_init(void)
{
    for (size_t i = 0; i < NTOOLS; i++) tools[i].input_schema = json_loads(schemas[i], 0, NULL);
}

const struct bc_llm_tool *bc_agent_tools(size_t *n)
{
    pthread_once(&tools_once, tools_init);
    *n = NTOOLS;
    return tools;
}

const char *bc__agent_name_of(json_t *list, const char *id)
{
    const char *n = S(bc_nlp_catalog_find(list, id), "name");
    return n ? n : "?";
}

json_t *bc__agent_tool_error(const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *m = json_string(msg);
    if (!m) m = json_string("invalid text");
    return json_pack("{s:{s:s, s:o}}", "error", "code", code, "message", m);
}

struct tool_impl {
    const char *name;
    const struct bc_jfield *fields;
    json_t *(*run)(struct bc_agent *a, json_t *in);
};

static const struct tool_impl impls[] = {
    {"list_services", no_fields, bc__agent_list_services},
    {"list_professionals", list_pros_fields, bc__agent_list_professionals},
    {"find_availability", avail_fields, bc__agent_find_availability},
    {"create_booking", book_fields, bc__agent_create_booking},
    {"cancel_booking", cancel_fields, bc__agent_cancel_booking},
    {"reschedule_booking", resched_fields, bc__agent_reschedule_booking},
    {"business_info", no_fields, bc__agent_business_info},
};

/* Runs one tool call: validation first (like API input), then the tool. Sets *is_error. */
json_t *bc__agent_run_tool(struct bc_agent *a, const struct bc_llm_tool_call *call, bool *is_error)
{
    char msg[256];
    json_t *r = NULL;
    *is_error = true;
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        if (!call->name || strcmp(impls[i].name, call->name) != 0) continue;
        if (!json_is_object(call->input))
            return bc__agent_tool_error("invalid_request", "the arguments must be a JSON object");
        /* an empty string for an optional field is taken as absent, as models often send one */
        json_t *in = json_deep_copy(call->input);
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(in, tmp, k, v) if (json_is_string(v) && !*json_string_value(v) &&
                                                    strcmp(k, "customer_name") != 0) json_object_del(in, k);
        if (bc_json_check(in, impls[i].fields, msg, sizeof msg) < 0) {
            json_decref(in);
            return bc__agent_tool_error("invalid_request", "%s", msg);
        }
        r = impls[i].run(a, in);
        json_decref(in);
        *is_error = r == NULL || json_object_get(r, "error") != NULL;
        return r ? r : bc__agent_tool_error("internal", "the tool failed");
    }
    return bc__agent_tool_error("unknown_tool", "no tool named %.64s", call->name ? call->name : "");
}
