/* The chat's nlp mode: an LLM reads one customer message (a compact prompt with the tenant's services and
 * professionals and their ids, today's date and time zone, and the dialog's state) and answers one JSON
 * object under a schema (intent and slots). The answer is validated strictly into the offline NLU's result
 * type (nlu/nlu.h) and handed to the same state machine as fsm mode (bc_chat_turn_understood): the model
 * never books, changes or cancels anything itself. docs/ai.md describes the mode.
 *
 * DESIGN NOTES
 * - A struct bc_nlp is one turn's reading: it owns the catalog the prompt names, so the ids in a validated
 *   result (borrowed pointers) stay valid until bc_nlp_free.
 * - Validation is all-or-nothing: an unknown id, a date that does not exist, an e-mail, phone or code
 *   that the customer did not write, a field the schema does not have … and the whole answer is refused
 *   (the turn then goes to the offline NLU). In a confirmation state the model's "yes" counts only if the
 *   offline NLU reads "yes" too. */
#ifndef BC_NLP_H
#define BC_NLP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"
#include "llm/llm.h"

struct bc_env;
struct bc_store;
struct bc_nlu_result;
struct bc_nlp;

/* The tenant's active services and professionals in display order, as stored items (caller decrefs both).
 */
int bc_nlp_catalog_load(struct bc_env *env, const struct bc_ctx *ctx, json_t **services, json_t **providers);
/* The item with this id in one of those lists (borrowed from list), or NULL (also for a NULL id). */
json_t *bc_nlp_catalog_find(json_t *list, const char *id);
/* An e-mail address as the AI modes take it from a model: one @ with a dot after it, at most 120 bytes, no
 * blanks, quotes, angle brackets or commas, neither end on a dot. */
bool bc_nlp_email_ok(const char *e);

/* Prepares the reading of text (the customer's message) in conversation conv: loads the catalog and the
 * settings and builds the prompt. Returns 0 or a negative bc_err; caller frees with bc_nlp_free. */
int bc_nlp_new(struct bc_env *env, const struct bc_ctx *ctx, json_t *conv, const char *text,
               struct bc_nlp **out);
void bc_nlp_free(struct bc_nlp *n);
/* The conversation to send (system prompt + the message) and the answer's schema; borrowed from n. */
const struct bc_llm_conv *bc_nlp_conv(const struct bc_nlp *n);
json_t *bc_nlp_schema(const struct bc_nlp *n);
/* The system prompt (borrowed), for tests and the docs. */
const char *bc_nlp_prompt(const struct bc_nlp *n);

/* Validates the model's answer (an object following the schema) and fills *out. Returns 0, or BC_EINVALID
 * with the reason in why ("unknown service_id", "email not in the message" …). Ids in *out are borrowed
 * from n. */
int bc_nlp_read(const struct bc_nlp *n, json_t *answer, struct bc_nlu_result *out, char *why, size_t whysize);

#endif
