/* pw_status.h: the one status enum every Peerwatch module returns, and its text. */
#ifndef PW_STATUS_H
#define PW_STATUS_H

/** Result of a Peerwatch library call. PW_OK is zero; everything else is a failure. */
typedef enum pw_status {
    PW_OK = 0,       /**< success */
    PW_ENOMEM,       /**< out of memory */
    PW_EINVAL,       /**< invalid argument or malformed input */
    PW_ERANGE,       /**< a value or length is out of its bounds */
    PW_ENOTFOUND,    /**< the thing looked up does not exist */
    PW_EEXIST,       /**< the thing to add is there already */
    PW_EIO,          /**< an I/O error (errno tells more) */
    PW_ECONFIG,      /**< a configuration file is invalid */
    PW_ETIMEOUT,     /**< no answer in time */
    PW_ECLOSED,      /**< the connection or object is closed */
    PW_ECORRUPT,     /**< stored data failed its integrity check */
    PW_EFULL,        /**< a bounded table or queue is full */
    PW_EDNS,         /**< a DNS lookup failed */
    PW_ECRYPTO,      /**< a cryptographic operation failed */
    PW_EDENIED,      /**< not allowed */
    PW_STATUS_MAX
} pw_status_t;

/**
 * A short English description of a status.
 * @param status any pw_status_t value
 * @return a static string; never NULL (unknown values give "unknown status")
 */
const char *pw_strerror(pw_status_t status);

#endif /* PW_STATUS_H */
