/* fuzz_util.h: what the libFuzzer targets of tests/fuzz share: file and role targets with their entry points, temp files, a role harness on the in-memory transport. */
#ifndef PWF_FUZZ_UTIL_H
#define PWF_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "xmpp/pw_component.h"
#include "xmpp/pw_runtime.h"
#include "core/pw_log.h"
#include "core/pw_loop.h"
#include "fake_component.h"

/* The libFuzzer entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** Inputs above this many bytes are ignored by every target (run.sh uses -max_len=8192). */
#define PWF_MAX_INPUT 65536

/**
 * A NUL-terminated copy of the input (an embedded NUL simply ends the text).
 * @param data the input
 * @param size its length
 * @return a malloc'd string the caller frees, or NULL when out of memory
 */
char *pwf_cstr(const uint8_t *data, size_t size);

/**
 * Make a private temporary directory once per process (removed at exit with what is in it).
 * @return its path (static storage); aborts when it cannot be made
 */
const char *pwf_tmpdir(void);

/**
 * Write bytes to DIR/name (replacing the file).
 * @param name a file name inside pwf_tmpdir()
 * @param data the bytes
 * @param size their number
 * @param path receives the full path
 * @param cap size of path
 * @return 0, or -1 on failure
 */
int pwf_write_file(const char *name, const uint8_t *data, size_t size, char *path, size_t cap);

/**
 * Take the input as a file: write it to DIR/name, unless it is longer than PWF_MAX_INPUT
 * (aborts when the temporary directory cannot be written).
 * @param name a file name inside pwf_tmpdir()
 * @param data the input
 * @param size its length
 * @param path receives the full path
 * @param cap size of path
 * @return 0, or -1 when the input is too long to use (nothing written)
 */
int pwf_input_file(const char *name, const uint8_t *data, size_t size, char *path, size_t cap);

/** Remove every file of a directory, then the directory (one level: no subdirectories walked twice). */
void pwf_remove_tree(const char *dir);

/** A target that takes its input as a file (PWF_FILE_TARGET). */
typedef struct pwf_file_target {
    const char *program; /**< the log's program name, e.g. "fuzz-store" */
    const char *file;    /**< the input's file name inside pwf_tmpdir() */
    /** Use the input written to path (data and size: the same bytes); the file is removed after. */
    void (*use)(const char *path, const uint8_t *data, size_t size);
} pwf_file_target_t;

/**
 * Set the log up (errors only; everything when the environment has PWF_DEBUG) and make the
 * temporary directory.
 * @param t the target
 */
void pwf_file_target_init(const pwf_file_target_t *t);

/**
 * Write the input to t->file (unless it is longer than PWF_MAX_INPUT), hand it to t->use,
 * remove the file.
 * @param t the target
 * @param data the input
 * @param size its length
 */
void pwf_file_target_input(const pwf_file_target_t *t, const uint8_t *data, size_t size);

/**
 * Define the libFuzzer entry points: LLVMFuzzerInitialize calls init(&t), LLVMFuzzerTestOneInput
 * input(&t, data, size). Through PWF_FILE_TARGET and PWF_ROLE_TARGET.
 */
#define PWF_ENTRY_POINTS(t, init, input)                                    \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                       \
    {                                                                       \
        (void)argc;                                                         \
        (void)argv;                                                         \
        init(&(t));                                                         \
        return 0;                                                           \
    }                                                                       \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)            \
    {                                                                       \
        input(&(t), data, size);                                            \
        return 0;                                                           \
    }

/** Define the libFuzzer entry points of a file target t (a pwf_file_target_t). */
#define PWF_FILE_TARGET(t) PWF_ENTRY_POINTS(t, pwf_file_target_init, pwf_file_target_input)

/** One role under test: a component on the fake transport, on a loop with a manual clock. */
typedef struct pwf_role {
    uint64_t now;             /**< the manual loop clock, ms */
    pwfake_component_t *fc;   /**< owns the four below (pwfake_component_create_clocked) */
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;
    pw_component_t *comp;
} pwf_role_t;

/**
 * Create the loop, the libstrophe context, the fake transport and the component, link up.
 * @param r the harness (zeroed by the call)
 * @param opts the component's identity
 * @return 0, or -1 on failure (everything made is freed)
 */
int pwf_role_open(pwf_role_t *r, const pw_component_opts_t *opts);

/**
 * Run the loop: what is due at once, then three times the clock moved by step_ms; then
 * forget what was sent.
 * @param r the harness
 * @param step_ms how far the clock moves each time (past the role's longest timeout)
 */
void pwf_role_run(pwf_role_t *r, uint64_t step_ms);

/** Destroy the component, the context and the loop (after the role itself is destroyed). */
void pwf_role_close(pwf_role_t *r);

/**
 * Load a role's settings from configuration text, as its program would (options, maps and
 * the role's check); aborts with the reason when they do not load.
 * @param role the role
 * @param settings the role's settings struct (role->settings_size bytes, zeroed by the call)
 * @param fmt the configuration text as a printf format (up to 4 KiB once written; written to
 *        a temporary file, removed after), then its arguments
 */
void pwf_role_settings(const pw_role_t *role, void *settings, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * A role target: the harness and one instance of the role on it, made afresh every so many
 * inputs (which bounds the role's tables and files).
 */
typedef struct pwf_target {
    const char *program;      /**< the log's program name, e.g. "fuzz-watcher" */
    pw_component_opts_t opts; /**< the role's component identity */
    unsigned every;           /**< inputs per instance of the role */
    uint64_t step_ms;         /**< how far the clock moves after an input (past the longest timeout) */
    uint64_t wall_base;       /**< pwf_target_wall() at clock 0, ms since the epoch */
    /** A directory made afresh for each instance of the role, pwf_tmpdir()/dir_name, removed
     *  with what is in it after the role stops (NULL: none). */
    const char *dir_name;
    char dir[256];            /**< its path (set by pwf_target_init), for configure and start */
    /** Fill the role's settings, once before the first start (NULL: nothing to do); aborts on failure. */
    void (*configure)(void);
    /** The role, created on the harness's component and destroyed through its own init and
     *  fini hooks (as pw_runtime_main does), unless start and stop are set. */
    const pw_role_t *lifecycle;
    void *settings;           /**< the role's settings, for lifecycle->init */
    void *state;              /**< what lifecycle->init made */
    /** Create the role on r->comp another way (a fake resolver, a clock of its own); NULL: lifecycle.
     *  @return 0, or -1 on failure */
    int (*start)(pwf_role_t *r);
    /** Destroy what start made, before the harness closes (NULL: lifecycle). */
    void (*stop)(void);
    /** Change each input's stanza before it is delivered (NULL: deliver it as it is). */
    void (*prepare)(xmpp_stanza_t *stanza);
    pwf_role_t role;          /**< the harness (set up by pwf_target_start) */
    unsigned inputs;          /**< counted by pwf_target_next */
} pwf_target_t;

/**
 * The target's wall clock: wall_base plus the harness's manual clock.
 * @param target the pwf_target_t
 * @return ms since the epoch
 */
uint64_t pwf_target_wall(void *target);

/**
 * Make t->dir (when there is one), open the harness with t->opts and start the role; aborts
 * when any fails.
 * @param t the target
 */
void pwf_target_start(pwf_target_t *t);

/**
 * Set the log up (as pwf_file_target_init), name t->dir, configure the role (t->configure) and start it.
 * @param t the target
 */
void pwf_target_init(pwf_target_t *t);

/**
 * Take one input: refuse it when longer than PWF_MAX_INPUT, otherwise count it and, every
 * t->every inputs, stop the role, remove t->dir, close the harness and start all afresh.
 * @param t the target
 * @param size the input's length
 * @return 0 when the input is to be used, -1 when it is too long
 */
int pwf_target_next(pwf_target_t *t, size_t size);

/** The root element of an input that is a sequence of stanzas (pwf_target_deliver). */
#define PWF_SEQUENCE "fuzz"
/** At most this many stanzas of a sequence are delivered. */
#define PWF_SEQUENCE_MAX 16

/**
 * pwf_target_next(), then the input parsed as one stanza, changed by t->prepare when set,
 * delivered to the role, and the loop run (pwf_role_run() with t->step_ms); an input that
 * does not parse is dropped. An input <fuzz>S1 S2 ...</fuzz> (PWF_SEQUENCE) is a sequence:
 * each stanza is delivered in turn with what is then due at once (the clock still), and
 * every IQ result or error after the first answers the oldest IQ request the role has sent
 * and no earlier answer took (its id set to the request's, its 'from' to the request's 'to'
 * when it has none), so that the answers to the role's calls in flight are reached; the
 * clock moves after the last.
 * @param t the target
 * @param data the input (XML text)
 * @param size its length
 */
void pwf_target_deliver(pwf_target_t *t, const uint8_t *data, size_t size);

/**
 * For the targets that sign on the fly (a .prepare hook): the chain child of an IQ the input
 * asks to have signed — its id starts with "sign", it has a from and a to, and its child
 * name (urn:peerwatch:chain:1) carries no <signature/> yet — with the sender's and the
 * receiver's domains, as a signed string names them.
 * @param iq the IQ about to be delivered
 * @param name "enquiry" or "notify"
 * @param from_dom receives the domain of the IQ's from
 * @param to_dom receives the domain of the IQ's to
 * @param cap size of from_dom and to_dom
 * @return the child (owned by iq), or NULL when the IQ is not one to sign
 */
xmpp_stanza_t *pwf_to_sign(xmpp_stanza_t *iq, const char *name, char *from_dom, char *to_dom,
                           size_t cap);

/** Define the libFuzzer entry points of a role target t (a pwf_target_t): each input one stanza. */
#define PWF_ROLE_TARGET(t) PWF_ENTRY_POINTS(t, pwf_target_init, pwf_target_deliver)

#endif /* PWF_FUZZ_UTIL_H */
