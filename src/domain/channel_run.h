/* The channel layer's conversations (PRODUCT.md section 15): an inbound WhatsApp or Telegram message becomes
 * a turn of the same conversation engine as the widget's (domain/turn.h: fsm, nlp or agent mode, the plan's
 * messages, metering, hand-off and booking rules), and the answer goes back out on the same medium
 * (channel_render.h). The webhook is answered at once; a worker thread of the serve process runs the turn
 * and the answer leaves through the outbox (channel_send.h), retried on 429 and 5xx.
 *
 * DESIGN NOTES
 * - A conversation is keyed by (tenant, channel, sender): the item TENANT#t / CHSENDER#<channel>#<sender>
 *   {conv_id, last_in, qr} points at the conversation the sender is in, so a customer who writes again
 *   continues where they were; when the conversation has expired (retention) a new one starts. qr holds the
 *   payloads of the last answer's quick replies (channel_render.h), last_in the time of the last inbound
 *   message (WhatsApp's 24-hour customer-service window).
 * - Deliveries are idempotent on the provider's message id (WhatsApp's wamid, Telegram's update_id): an item
 *   CHSEEN#<channel>#<hash> written with a not-exists condition before the turn is queued (kept 7 days, as
 *   long as Meta redelivers); a redelivery finds it and is acknowledged without a second turn.
 * - Turns of one process run on its one worker thread, one after another, so two messages of a sender are
 *   answered in order; a turn that waits for a model leaves the thread free (its io.answered queues the
 *   rest). A turn that loses the conversation's version race to another process is run again.
 * - Nothing owed is lost: an accepted message is an outbox intent (channel.message, due RECOVER_S later)
 *   written before the webhook is answered, its id carried by the CHSEEN item; this process runs the turn at
 *   once and deletes the intent when the answer is a delivery (channel_send.h); if it dies first, any
 *   process's dispatcher recovers the turn (bc_channel_recover), once: the sender's item is marked with the
 *   intent's id when the turn is answered.
 * - Answers, staff replies and reminders go out as deliveries sent by the dispatcher (channel_send.h). */
#ifndef BC_CHANNEL_RUN_H
#define BC_CHANNEL_RUN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth/context.h"

struct bc_env;
struct bc_channel;
struct bc_channels;

struct bc_channels_cfg {
    const char *public_url; /* where calendar links point */
    bool hold;              /* tests only: turns stay queued, as in a process killed before running them */
};

/* Starts the worker of env (sets env->channels; cfg copied). 0, or a negative bc_err with err. */
int bc_channels_start(struct bc_env *env, const struct bc_channels_cfg *cfg, struct bc_channels **out,
                      char *err, size_t errsize);
/* Stops it: queued turns and sends are dropped (turns waiting for a model are waited for first). NULL ok. */
void bc_channels_stop(struct bc_channels *w);

/* Waits until the worker has no turn queued or running, or until deadline_ns (monotonic): for a process
 * frozen between requests (Lambda). True when idle. NULL is idle. */
bool bc_channels_settle(struct bc_channels *w, int64_t deadline_ns);
/* True when the worker has no turn queued or running now. NULL is idle. */
bool bc_channels_idle(struct bc_channels *w);

/* An inbound message as a webhook adapter read it (everything borrowed). */
struct bc_channel_msg {
    const char *msg_id;      /* the provider's id of the delivery (dedup) */
    const char *sender;      /* WhatsApp wa_id or Telegram chat id: digits, maybe a leading '-' */
    const char *text;        /* free text, or NULL */
    const char *button;      /* a pressed button's id, or NULL */
    const char *button_text; /* its title when the provider sends it (WhatsApp), or NULL */
    const char *callback_id; /* Telegram: the callback query to answer, or NULL */
    const char *lang;        /* a language hint ("en", "es-ES"), or NULL */
};

/* Accepts one inbound message of ch (ctx from bc_channel_resolve): a message id seen before returns 1 (the
 * provider redelivered: acknowledge, do nothing); otherwise the sender's limits are taken (the widget
 * visitor's: messages per day, conversation pace; their errors are returned, nothing queued) and the turn is
 * queued: 0. BC_EINVALID for a malformed sender, BC_EUNAVAILABLE when this process runs no worker. */
int bc_channel_accept(struct bc_env *env, const struct bc_ctx *ctx, const struct bc_channel *ch,
                      const struct bc_channel_msg *m);

/* The dispatcher's recovery of a channel.message intent (outbox.h) whose process died before its turn was
 * answered: the turn is queued here again (nothing when it is still running here; done at once when the
 * sender's item shows it answered). 0, BC_EUNAVAILABLE without a worker (left for another process),
 * BC_ENOT_FOUND when the tenant or the channel is gone and BC_EINVALID for a malformed intent (dropped). */
int bc_channel_recover(struct bc_env *env, const json_t *ev);
/* Whether intent ev's message was taken (its CHSEEN item carries ev's id) into *marked; false when that
 * could not be read (again later). */
bool bc_channel_seen_marked(struct bc_env *env, const json_t *ev, bool *marked);

/* Staff answer a conversation on its channel: the text is stored as an assistant message ("from": "staff",
 * "by": user id) and sent. WhatsApp outside the 24-hour window: sent as the channel's template (its one
 * body parameter the text), or BC_ECONFLICT with msg when it has none. BC_ECONFLICT with msg for a
 * conversation that did not come through a channel, BC_ENOT_FOUND, BC_EUNAVAILABLE without a worker. */
int bc_channel_staff_reply(struct bc_env *env, const struct bc_ctx *ctx, const char *conv_id,
                           const char *text, char *msg, size_t msgsize);

/* A reminder of booking (made in a chat on a channel: its "channel") sent there too: text (the customer's
 * reminder, as its e-mail says it) as a message while the customer's 24-hour window is open (always on
 * Telegram), else as the WhatsApp channel's template with the text on one line as its parameter (nothing
 * without a template). One delivery per event_id. 0 (also when there is nothing to send) or a negative
 * bc_err. */
int bc_channel_remind(struct bc_env *env, const struct bc_ctx *ctx, const char *event_id,
                      const json_t *booking, const char *text);

/* Telegram's setWebhook for channel id of ctx's tenant: url = public_url + the channel's webhook path, with
 * its secret token, for messages and callback queries. Waits for Telegram's answer (10 s at most). 0, or
 * BC_ENOT_FOUND, BC_EINVALID (not a Telegram channel), BC_EUNAVAILABLE with msg (Telegram refused or could
 * not be reached). */
int bc_channel_tg_set_webhook(struct bc_env *env, const struct bc_ctx *ctx, const char *id,
                              const char *public_url, const char *api_url, char *msg, size_t msgsize);

#endif
