/* pw_calls.h: the table of calls in flight: a request a role is answering later, after its own requests to others. */
#ifndef PW_CALLS_H
#define PW_CALLS_H

#include <stddef.h>
#include <strophe.h>

#include "core/pw_list.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"
#include "xmpp/pw_stanza.h"

typedef struct pw_calls pw_calls_t;
typedef struct pw_call pw_call_t;

/**
 * One request in flight. A role embeds it as the FIRST member of its own call struct, so that
 * a pw_call_t * and the role's pointer convert into each other; the table owns the links
 * and the clone of the request, the role everything else.
 */
struct pw_call {
    pw_calls_t *table;         /**< the table it is in */
    pw_link_t link;            /**< in the table's list (the table's) */
    xmpp_stanza_t *req;        /**< the clone of the request to answer (the table's), or NULL */
};

/**
 * Frees what the role's call struct holds beyond pw_call_t, then the struct itself.
 * @param call the call, already unlinked; its req is already released
 */
typedef void (*pw_call_free_fn)(pw_call_t *call);

/**
 * Create an empty table.
 * @param out receives the table; free with pw_calls_destroy()
 * @param c the component the answers are sent through (borrowed)
 * @param max most calls at once (pw_calls_add() answers PW_EFULL past it)
 * @param free_call frees a role's call (NULL: free())
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_calls_create(pw_calls_t **out, pw_component_t *c, size_t max,
                            pw_call_free_fn free_call);

/**
 * Answer every call still in flight with service-unavailable and the closing text (see
 * pw_calls_set_closing_text()), free them, then the table. NULL-safe. A call that waits on
 * IQs sent with the call as their arg has them cancelled first: its callback is told
 * PW_IQ_CANCELLED and is expected to end the call (pw_calls_shutting_down()); a call still
 * in the table after that is answered here, so no IQ is left pointing at a freed call.
 */
void pw_calls_destroy(pw_calls_t *t);

/**
 * The readable text the calls get when the role goes away ("the gateway of opb.example is
 * shutting down"); copied. Default: "the service is shutting down".
 */
void pw_calls_set_closing_text(pw_calls_t *t, const char *text);

/**
 * Put a call in flight: links it and keeps a clone of the request.
 * @param call the role's call (zeroed or initialised by the role; pw_call_t first)
 * @param req the request to answer later (the caller keeps its reference), or NULL for a call
 *        that answers no request (one the role started itself): pw_calls_fail() and
 *        pw_calls_shutting_down() then only end it
 * @return PW_OK; PW_EFULL when max calls are in flight; PW_ENOMEM (the call is then not
 *         linked and still the caller's)
 */
pw_status_t pw_calls_add(pw_calls_t *t, pw_call_t *call, xmpp_stanza_t *req);

/** End a call without answering: unlink, release the request, free the call. */
void pw_calls_end(pw_call_t *call);

/**
 * Answer a call's request with an RFC 6120 error and end the call (a call without a request
 * is only ended).
 * @param cond the condition
 * @param text the readable <text/>
 */
void pw_calls_fail(pw_call_t *call, pw_error_t cond, const char *text);

/** Answer service-unavailable with the table's closing text and end the call. */
void pw_calls_shutting_down(pw_call_t *call);

/** @return the component the table answers through */
pw_component_t *pw_calls_component(const pw_calls_t *t);

/** @return the number of calls in flight */
size_t pw_calls_count(const pw_calls_t *t);

/** @return the first call in flight (iterate with pw_calls_next()), or NULL */
pw_call_t *pw_calls_first(const pw_calls_t *t);

/**
 * The call after this one in its table.
 * @param call a call in flight
 * @return the next call, or NULL after the last
 */
pw_call_t *pw_calls_next(pw_call_t *call);

#endif /* PW_CALLS_H */
