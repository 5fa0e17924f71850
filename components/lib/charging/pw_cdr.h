/* pw_cdr.h: charge records (TS 23.141 A.1 step 9, fields after TS 32.298): format, writer, reader, verify, settle, reconcile. */
#ifndef PW_CDR_H
#define PW_CDR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/pw_status.h"

/*
 * The line format is described normatively in docs/charging.md. In short: JSON Lines, one
 * header line per file, then one record per line; every line carries "prev" (the SHA-256 of
 * the previous record, across files) and "hash" (the SHA-256 of its own bytes before
 * ',"hash":'), so a gap, an edit, a reorder or a duplicate is detected.
 */

/** Version of the line format written by this code (the header's "version"). */
#define PW_CDR_FORMAT_VERSION 1u

/* Field bounds, in bytes including the terminating NUL. Longer values are PW_ERANGE. */
#define PW_CDR_NODE_MAX 128     /**< node id: [A-Za-z0-9._-], used in file names */
#define PW_CDR_DOMAIN_MAX 256   /**< a network (domain) name */
#define PW_CDR_JID_MAX 3072     /**< a JID (RFC 7622: at most 3071 bytes) */
#define PW_CDR_MSISDN_MAX 24    /**< an E.164 number with '+' */
#define PW_CDR_REF_MAX 512      /**< an enquiry reference */
#define PW_CDR_OUTCOME_MAX 64   /**< "ok", a stanza error condition, or an end reason */
#define PW_CDR_SUBID_MAX 256    /**< a subscription id */
#define PW_CDR_HASH_HEX 65      /**< 64 lowercase hex digits of SHA-256 and a NUL */
#define PW_CDR_TIME_TEXT 25     /**< "YYYY-MM-DDTHH:MM:SS.mmmZ" and a NUL */
#define PW_CDR_LINE_MAX 65536   /**< longest line (header or record) in bytes, without '\n' */

/** What a record is about: the four enquiry kinds of TS 23.141 A.1 and the end of a subscription. */
typedef enum pw_cdr_kind {
    PW_CDR_KIND_CURRENT = 0, /**< "current": the present state */
    PW_CDR_KIND_CHANGES,     /**< "changes": state changes for a duration */
    PW_CDR_KIND_NEXT,        /**< "next": the next state change */
    PW_CDR_KIND_STOP,        /**< "stop": end the watcher's subscriptions */
    PW_CDR_KIND_END,         /**< "end": a subscription ended (duration, notifications, reason) */
    PW_CDR_KIND_COUNT
} pw_cdr_kind_t;

/**
 * One charge record. All text fields are NUL-terminated UTF-8 within their arrays.
 * Fields marked (writer) are set by pw_cdr_writer_append() and ignored on input.
 */
typedef struct pw_cdr_record {
    uint64_t seq;                                  /**< (writer) local record sequence number, from 1 */
    uint64_t time_ms;                              /**< (writer) record time, ms since the epoch, UTC */
    char node[PW_CDR_NODE_MAX];                    /**< (writer) the writing node (PS identity) */
    pw_cdr_kind_t kind;                            /**< enquiry kind, or PW_CDR_KIND_END */
    char outcome[PW_CDR_OUTCOME_MAX];              /**< "ok", a stanza error condition, or the end reason */
    char enquiry_ref[PW_CDR_REF_MAX];              /**< enquiry id as sent by the watcher side; required except for "end" */
    char peer[PW_CDR_DOMAIN_MAX];                  /**< network the enquiry came from */
    char charged_network[PW_CDR_DOMAIN_MAX];       /**< network charged (the watcher's); required */
    char serving_network[PW_CDR_DOMAIN_MAX];       /**< network that served (the presentity's) */
    char watcher_msisdn[PW_CDR_MSISDN_MAX];        /**< watcher's MSISDN, may be empty */
    char watcher_jid[PW_CDR_JID_MAX];              /**< watcher's JID, may be empty */
    char presentity_msisdn[PW_CDR_MSISDN_MAX];     /**< presentity's MSISDN, may be empty */
    char presentity_jid[PW_CDR_JID_MAX];           /**< presentity's JID when addressed by JID, may be empty */
    char subscription_id[PW_CDR_SUBID_MAX];        /**< subscription id (changes/next/end), may be empty */
    uint64_t duration_s;                           /**< requested (changes) or actual (end) duration, seconds */
    uint64_t notifications;                        /**< notifications sent (end records) */
    char prev[PW_CDR_HASH_HEX];                    /**< (writer/parser) hash of the previous record */
    char hash[PW_CDR_HASH_HEX];                    /**< (writer/parser) hash of this record's line */
} pw_cdr_record_t;

/** The first line of every file. */
typedef struct pw_cdr_header {
    unsigned version;               /**< format version */
    char node[PW_CDR_NODE_MAX];     /**< the writing node */
    uint64_t first_seq;             /**< sequence number of the file's first record */
    uint64_t created_ms;            /**< creation time, ms since the epoch, UTC */
    char prev[PW_CDR_HASH_HEX];     /**< hash of the last record before this file (zeros if none) */
    char hash[PW_CDR_HASH_HEX];     /**< hash of this header line */
} pw_cdr_header_t;

/** A parsed line. */
typedef struct pw_cdr_line {
    enum { PW_CDR_LINE_HEADER, PW_CDR_LINE_RECORD } type; /**< which member is valid */
    pw_cdr_header_t header;                               /**< when type is PW_CDR_LINE_HEADER */
    pw_cdr_record_t record;                               /**< when type is PW_CDR_LINE_RECORD */
} pw_cdr_line_t;

/* ---------------------------------------------------------------- format */

/**
 * @param kind a kind
 * @return its name in the format ("current", ..., "end"); "unknown" for bad values
 */
const char *pw_cdr_kind_name(pw_cdr_kind_t kind);

/**
 * @param name a kind name as written in the format
 * @param out receives the kind
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_cdr_kind_parse(const char *name, pw_cdr_kind_t *out);

/**
 * Check that a record is fit to be written: kind valid, required fields present, every text
 * field NUL-terminated within its array, valid UTF-8, outcome made of [a-z0-9-].
 * @param rec the record (only the caller-set fields are checked)
 * @return PW_OK, PW_EINVAL (bad or missing value) or PW_ERANGE (not terminated in its array)
 */
pw_status_t pw_cdr_record_check(const pw_cdr_record_t *rec);

/**
 * Serialise a record as one line (with '\n') whose "prev" is prev_hex; rec->seq, time_ms and
 * node are written as given. The line's own hash is stored in hash_out.
 * @param rec the record (checked with pw_cdr_record_check() first)
 * @param prev_hex 64 hex digits
 * @param buf receives the line (not NUL-terminated); cap must be at least PW_CDR_LINE_MAX + 1
 * @param cap size of buf
 * @param len_out receives the length including '\n'
 * @param hash_out receives the line's hash (64 hex digits and NUL)
 * @return PW_OK, PW_EINVAL/PW_ERANGE (bad record) or PW_ECRYPTO
 */
pw_status_t pw_cdr_format_record(const pw_cdr_record_t *rec, const char *prev_hex, char *buf,
                                 size_t cap, size_t *len_out, char hash_out[PW_CDR_HASH_HEX]);

/**
 * Serialise a file header line (with '\n'); hdr->hash is ignored and the line's hash is
 * stored in hash_out.
 * @param hdr the header
 * @param buf receives the line; cap as for pw_cdr_format_record()
 * @param cap size of buf
 * @param len_out receives the length including '\n'
 * @param hash_out receives the line's hash
 * @return PW_OK, PW_EINVAL or PW_ECRYPTO
 */
pw_status_t pw_cdr_format_header(const pw_cdr_header_t *hdr, char *buf, size_t cap,
                                 size_t *len_out, char hash_out[PW_CDR_HASH_HEX]);

/**
 * Parse one line (without its '\n') and check its own hash.
 * @param data the line bytes (need not be NUL-terminated)
 * @param len its length
 * @param out receives the parsed line
 * @return PW_OK; PW_EINVAL if malformed; PW_ECORRUPT if well-formed but its "hash" does not
 *         match its bytes (out is then filled)
 */
pw_status_t pw_cdr_line_parse(const char *data, size_t len, pw_cdr_line_t *out);

/** @return the all-zero hash (64 '0'): the "prev" of a node's first header and first record */
const char *pw_cdr_zero_hash(void);

/**
 * Format a time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC).
 * @param ms milliseconds since the epoch
 * @param out receives the text
 */
void pw_cdr_time_format(uint64_t ms, char out[PW_CDR_TIME_TEXT]);

/**
 * Parse a UTC time: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.mmmZ".
 * @param text the time
 * @param out receives milliseconds since the epoch
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_cdr_time_parse(const char *text, uint64_t *out);

/** A file name of the format, parsed. */
typedef struct pw_cdr_name {
    int open;                    /**< 1 for the file being written, 0 for a closed file */
    char node[PW_CDR_NODE_MAX];  /**< node id */
    uint64_t first_seq;          /**< first sequence number */
    uint64_t last_seq;           /**< last sequence number (closed files) */
    uint64_t close_ms;           /**< close time (closed files) */
} pw_cdr_name_t;

/**
 * Parse a file name: "cdr-NODE-FIRST.jsonl.open" or "cdr-NODE-FIRST-LAST-YYYYMMDDTHHMMSSmmmZ.jsonl"
 * (FIRST and LAST are 20 digits).
 * @param name a base name
 * @param out receives the parts
 * @return PW_OK, or PW_EINVAL when name is not a charge-record file
 */
pw_status_t pw_cdr_name_parse(const char *name, pw_cdr_name_t *out);

/**
 * Build the file name for the given parts (open or closed per n->open).
 * @param n the parts
 * @param buf receives the NUL-terminated name
 * @param cap size of buf
 * @return PW_OK, PW_EINVAL (bad node id) or PW_ERANGE (buf too small)
 */
pw_status_t pw_cdr_name_format(const pw_cdr_name_t *n, char *buf, size_t cap);

/**
 * @param node a node id
 * @return non-zero when node is a valid node id (1..127 bytes of [A-Za-z0-9._-])
 */
int pw_cdr_node_valid(const char *node);

/* ---------------------------------------------------------------- writer */

/** A clock returning milliseconds since the epoch (UTC). */
typedef uint64_t (*pw_cdr_clock_fn)(void *arg);

/** Writer settings. Zero fields take the documented defaults. */
typedef struct pw_cdr_writer_config {
    const char *dir;             /**< directory of the files; created (0750) if missing */
    const char *node;            /**< node id (see pw_cdr_node_valid()) */
    uint64_t max_file_bytes;     /**< rotate when a file would exceed this (default 64 MiB) */
    uint64_t max_file_age_ms;    /**< rotate a file whose first record is this old (default 1 hour) */
    int sync_each;               /**< 1: every append writes and fsyncs at once (no group commit) */
    uint64_t dedup_window_ms;    /**< remember enquiry refs this long (default 24 hours) */
    size_t dedup_capacity;       /**< at most this many refs (default 262144, at most 2^28) */
    pw_cdr_clock_fn clock;       /**< wall clock; NULL for CLOCK_REALTIME */
    void *clock_arg;             /**< passed to clock */
} pw_cdr_writer_config_t;

/** Counters of a writer. */
typedef struct pw_cdr_writer_stats {
    uint64_t records;            /**< records committed since create */
    uint64_t commits;            /**< successful write+fsync rounds */
    uint64_t files_closed;       /**< rotations */
    uint64_t failures;           /**< failed commits (I/O errors) */
    uint64_t torn_bytes;         /**< bytes of a torn tail cut off at open (0 if none) */
    uint64_t dedup_loaded;       /**< refs loaded into the dedup index at open */
    uint64_t last_seq;           /**< last committed sequence number (0 if none) */
    int in_error;                /**< 1 while the writer refuses appends */
    int last_errno;              /**< errno of the last failure */
} pw_cdr_writer_stats_t;

/** A charge-record writer for one node in one directory. Opaque; one per process and node. */
typedef struct pw_cdr_writer pw_cdr_writer_t;

/**
 * Open a writer: lock the node's files, repair a torn tail of the open file (cut off,
 * saved as "torn-NODE-FIRST-OFFSET.bin", logged), continue the sequence and the chain from the
 * last whole record, rebuild the dedup index from the records within the window.
 * @param out receives the writer; free with pw_cdr_writer_destroy()
 * @param cfg settings (strings are copied)
 * @return PW_OK; PW_EINVAL (bad config); PW_EDENIED (another writer holds the node);
 *         PW_ECORRUPT (the files are damaged other than at the tail: run peerwatch-cdr verify);
 *         PW_EIO; PW_ENOMEM
 */
pw_status_t pw_cdr_writer_create(pw_cdr_writer_t **out, const pw_cdr_writer_config_t *cfg);

/**
 * Close a writer. Records appended but not committed are discarded (their answers must not
 * have been sent).
 * @param w the writer, or NULL
 */
void pw_cdr_writer_destroy(pw_cdr_writer_t *w);

/**
 * Buffer one record (with sync_each: write and fsync it at once). The writer sets seq,
 * time_ms, node, prev and hash. The record is durable once pw_cdr_writer_committed_seq()
 * reaches its sequence number; only then may the answer to the enquiry be sent.
 * @param w the writer
 * @param rec the record (not modified)
 * @param seq_out receives the record's sequence number; for PW_EEXIST the earlier record's
 * @return PW_OK; PW_EEXIST if a record with the same (peer, enquiry_ref) exists (no new
 *         record: answer again once that seq is committed); PW_EINVAL/PW_ERANGE (bad record);
 *         PW_EIO while the writer is in error (answer internal-server-error/wait); PW_EFULL
 *         when 16 MiB are buffered without a commit; PW_ENOMEM
 */
pw_status_t pw_cdr_writer_append(pw_cdr_writer_t *w, const pw_cdr_record_t *rec, uint64_t *seq_out);

/**
 * Group commit: write all buffered records with one write and one fdatasync, rotating the
 * file first when it is due (size or age). Call once per loop iteration. In error, a commit
 * with nothing buffered checks whether the disk works again and leaves the error if it does.
 * On failure the buffered records are discarded (their sequence numbers are reused) and the
 * writer enters the error state.
 * @param w the writer
 * @return PW_OK, or PW_EIO (records after pw_cdr_writer_committed_seq() were not written:
 *         answer their enquiries with internal-server-error/wait)
 */
pw_status_t pw_cdr_writer_commit(pw_cdr_writer_t *w);

/**
 * @param w the writer
 * @return the last durable sequence number (0 if none yet)
 */
uint64_t pw_cdr_writer_committed_seq(const pw_cdr_writer_t *w);

/**
 * @param w the writer
 * @return the number of records buffered and not yet committed
 */
size_t pw_cdr_writer_pending(const pw_cdr_writer_t *w);

/**
 * Close the current file now (if it holds a record) and start a new one; also done by
 * pw_cdr_writer_commit() when due. Buffered records are committed first.
 * @param w the writer
 * @return PW_OK or PW_EIO
 */
pw_status_t pw_cdr_writer_rotate(pw_cdr_writer_t *w);

/**
 * Look up an enquiry in the dedup index.
 * @param w the writer
 * @param peer the network the enquiry came from
 * @param enquiry_ref the enquiry reference
 * @param seq_out receives the record's sequence number
 * @return PW_OK or PW_ENOTFOUND
 */
pw_status_t pw_cdr_writer_lookup(const pw_cdr_writer_t *w, const char *peer,
                                 const char *enquiry_ref, uint64_t *seq_out);

/**
 * @param w the writer
 * @param out receives the counters
 */
void pw_cdr_writer_stats(const pw_cdr_writer_t *w, pw_cdr_writer_stats_t *out);

/* ---------------------------------------------------------------- reader */

/** A raw line from pw_cdr_reader_next(). */
typedef struct pw_cdr_rawline {
    const char *data;     /**< the bytes, without '\n'; valid until the next call */
    size_t len;           /**< their number */
    int terminated;       /**< 1 if the line ended with '\n' (0: the file ends mid-line) */
    uint64_t lineno;      /**< line number, from 1 */
    uint64_t offset;      /**< byte offset of the line in the file */
} pw_cdr_rawline_t;

/** A bounded line reader over one file. Opaque. */
typedef struct pw_cdr_reader pw_cdr_reader_t;

/**
 * @param out receives the reader; free with pw_cdr_reader_destroy()
 * @param path the file
 * @return PW_OK, PW_EIO (cannot open; errno set) or PW_ENOMEM
 */
pw_status_t pw_cdr_reader_create(pw_cdr_reader_t **out, const char *path);

/**
 * Read the next line.
 * @param r the reader
 * @param out receives the line
 * @return PW_OK; PW_ENOTFOUND at end of file; PW_ERANGE for a line longer than
 *         PW_CDR_LINE_MAX (out->lineno/offset set; the next call continues after it); PW_EIO
 */
pw_status_t pw_cdr_reader_next(pw_cdr_reader_t *r, pw_cdr_rawline_t *out);

/** @param r the reader, or NULL */
void pw_cdr_reader_destroy(pw_cdr_reader_t *r);

/* ---------------------------------------------------------------- verify */

/** The kinds of problem verify reports. */
typedef enum pw_cdr_problem_kind {
    PW_CDR_PROBLEM_NONE = 0,
    PW_CDR_PROBLEM_MALFORMED,  /**< a line is not a valid header/record, or names disagree */
    PW_CDR_PROBLEM_TRUNCATED,  /**< a file ends mid-line, or has fewer records than its name says */
    PW_CDR_PROBLEM_EDITED,     /**< a line does not match its hash, or the chain is broken */
    PW_CDR_PROBLEM_GAP,        /**< sequence numbers are missing */
    PW_CDR_PROBLEM_REORDER,    /**< records are out of order */
    PW_CDR_PROBLEM_DUPLICATE,  /**< a sequence number appears twice */
    PW_CDR_PROBLEM_IO          /**< a file could not be read */
} pw_cdr_problem_kind_t;

/** The first problem found by pw_cdr_verify_dir(). */
typedef struct pw_cdr_problem {
    pw_cdr_problem_kind_t kind; /**< what */
    char file[1024];            /**< the file (path) */
    uint64_t line;              /**< line number (0: the file as a whole) */
    uint64_t seq;               /**< sequence number concerned (0 if none) */
    char text[512];             /**< one-line explanation */
} pw_cdr_problem_t;

/**
 * @param kind a problem kind
 * @return its short name ("gap", "edited", ...)
 */
const char *pw_cdr_problem_name(pw_cdr_problem_kind_t kind);

/** Options of pw_cdr_verify_dir(). */
typedef struct pw_cdr_verify_options {
    int partial;  /**< accept a node's first file not starting at seq 1 (older files archived) */
} pw_cdr_verify_options_t;

/** Totals of a verify run. */
typedef struct pw_cdr_verify_summary {
    uint64_t files;    /**< files read */
    uint64_t records;  /**< records read and accepted */
    uint64_t nodes;    /**< distinct node ids */
} pw_cdr_verify_summary_t;

/** Called for every accepted record, in order (per node). */
typedef void (*pw_cdr_record_cb)(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg);

/**
 * Walk every charge-record file of dir in order (per node, by first sequence number) and check
 * headers, names, sequence and chain; stops at the first problem.
 * @param dir the directory
 * @param opt options, or NULL for defaults
 * @param cb called for each accepted record, or NULL
 * @param arg passed to cb
 * @param problem receives the first problem (kind NONE if none); may be NULL
 * @param summary receives totals; may be NULL
 * @return PW_OK (no problem), PW_ECORRUPT (a problem; see *problem) or PW_EIO (dir unreadable)
 */
pw_status_t pw_cdr_verify_dir(const char *dir, const pw_cdr_verify_options_t *opt,
                              pw_cdr_record_cb cb, void *arg, pw_cdr_problem_t *problem,
                              pw_cdr_verify_summary_t *summary);

/* ---------------------------------------------------------------- settle and reconcile */

/** Output formats of the tool. */
typedef enum pw_cdr_output {
    PW_CDR_OUT_TABLE = 0, /**< aligned text for people */
    PW_CDR_OUT_CSV,       /**< RFC 4180 with a header line */
    PW_CDR_OUT_JSON       /**< one JSON document */
} pw_cdr_output_t;

/**
 * @param name "table", "csv" or "json"
 * @param out receives the format
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_cdr_output_parse(const char *name, pw_cdr_output_t *out);

/** One line of a settlement statement: totals for a charged network and kind. */
typedef struct pw_cdr_settle_row {
    char charged_network[PW_CDR_DOMAIN_MAX]; /**< the network charged */
    pw_cdr_kind_t kind;                      /**< the kind */
    uint64_t records;                        /**< records */
    uint64_t ok;                             /**< of which outcome "ok" (for "end": all) */
    uint64_t errors;                         /**< of which an error outcome */
    uint64_t duration_s;                     /**< sum of durations */
    uint64_t notifications;                  /**< sum of notification counts */
} pw_cdr_settle_row_t;

/** A settlement statement being summed. Opaque. */
typedef struct pw_cdr_settle pw_cdr_settle_t;

/**
 * @param out receives the statement; free with pw_cdr_settle_destroy()
 * @param from_ms count records with time >= from_ms
 * @param to_ms count records with time < to_ms (0: no upper bound)
 * @param charged only this charged network, or NULL for all (copied)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_cdr_settle_create(pw_cdr_settle_t **out, uint64_t from_ms, uint64_t to_ms,
                                 const char *charged);

/** @param s the statement, or NULL */
void pw_cdr_settle_destroy(pw_cdr_settle_t *s);

/**
 * Count a record (ignored when outside the period or filter).
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_cdr_settle_add(pw_cdr_settle_t *s, const pw_cdr_record_t *rec);

/** @return the number of rows (sorted by network, then kind) */
size_t pw_cdr_settle_rows(const pw_cdr_settle_t *s);

/**
 * @param s the statement
 * @param i row index (< pw_cdr_settle_rows())
 * @return the row (owned by s), or NULL if i is out of range
 */
const pw_cdr_settle_row_t *pw_cdr_settle_row(const pw_cdr_settle_t *s, size_t i);

/**
 * Print the statement.
 * @param s the statement
 * @param out the stream
 * @param fmt the format
 * @return PW_OK or PW_EIO
 */
pw_status_t pw_cdr_settle_write(const pw_cdr_settle_t *s, FILE *out, pw_cdr_output_t fmt);

/** Kinds of difference reconcile lists. */
typedef enum pw_cdr_diff_kind {
    PW_CDR_DIFF_ONLY_SENT = 0,  /**< the watcher side sent it; the serving side has no record */
    PW_CDR_DIFF_ONLY_CHARGED,   /**< the serving side charged it; the watcher side did not send it */
    PW_CDR_DIFF_MISMATCH,       /**< both have it, with a different kind or outcome */
    PW_CDR_DIFF_DUPLICATE       /**< one side has the enquiry more than once */
} pw_cdr_diff_kind_t;

/** One side's record of an enquiry, as reconcile keeps it. Pointers are owned by the reconcile object. */
typedef struct pw_cdr_diff_entry {
    const char *node;       /**< the node that wrote the record */
    uint64_t seq;           /**< its sequence number */
    uint64_t time_ms;       /**< its time */
    pw_cdr_kind_t kind;     /**< its kind */
    const char *outcome;    /**< its outcome */
} pw_cdr_diff_entry_t;

/** A difference found by reconcile. Pointers are owned by the reconcile object. */
typedef struct pw_cdr_diff {
    pw_cdr_diff_kind_t kind;             /**< what */
    const char *enquiry_ref;             /**< the enquiry */
    const pw_cdr_diff_entry_t *sent;     /**< the watcher side's record, or NULL */
    const pw_cdr_diff_entry_t *charged;  /**< the serving side's record, or NULL */
} pw_cdr_diff_t;

/** A reconciliation being built. Opaque. */
typedef struct pw_cdr_reconcile pw_cdr_reconcile_t;

/** The two sides of a reconciliation. */
typedef enum pw_cdr_side { PW_CDR_SIDE_SENT = 0, PW_CDR_SIDE_CHARGED = 1 } pw_cdr_side_t;

/**
 * @param out receives the object; free with pw_cdr_reconcile_destroy()
 * @param from_ms period start (records' own time), inclusive
 * @param to_ms period end, exclusive (0: none)
 * @param charged only enquiries charging this network, or NULL (copied)
 * @param serving only enquiries served by this network, or NULL (copied)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_cdr_reconcile_create(pw_cdr_reconcile_t **out, uint64_t from_ms, uint64_t to_ms,
                                    const char *charged, const char *serving);

/** @param r the object, or NULL */
void pw_cdr_reconcile_destroy(pw_cdr_reconcile_t *r);

/**
 * Add a record of one side ("end" records and records without enquiry_ref are ignored).
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_cdr_reconcile_add(pw_cdr_reconcile_t *r, pw_cdr_side_t side, const pw_cdr_record_t *rec);

/**
 * Match both sides by enquiry_ref and compute the differences (call once, after all adds).
 * @param r the object
 * @param count_out receives the number of differences
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_cdr_reconcile_run(pw_cdr_reconcile_t *r, size_t *count_out);

/**
 * @param r the object (after pw_cdr_reconcile_run())
 * @param i index
 * @return the difference (owned by r), or NULL if out of range
 */
const pw_cdr_diff_t *pw_cdr_reconcile_diff(const pw_cdr_reconcile_t *r, size_t i);

/**
 * @param kind a difference kind
 * @return its name ("only-sent", "only-charged", "mismatch", "duplicate")
 */
const char *pw_cdr_diff_name(pw_cdr_diff_kind_t kind);

/**
 * Print the differences (after pw_cdr_reconcile_run()).
 * @return PW_OK or PW_EIO
 */
pw_status_t pw_cdr_reconcile_write(const pw_cdr_reconcile_t *r, FILE *out, pw_cdr_output_t fmt);

#endif /* PW_CDR_H */
