/* pw_text.h: small text helpers every area needs: hex digits (both ways) and ASCII case folding. */
#ifndef PW_TEXT_H
#define PW_TEXT_H

#include <stddef.h>

/**
 * The value of one hexadecimal digit.
 * @param c '0'-'9', 'a'-'f' or 'A'-'F'
 * @return 0 to 15, or -1 for any other character
 */
int pw_text_hexval(char c);

/**
 * Write bytes as lowercase hexadecimal digits (digests, identifiers).
 * @param bytes the bytes
 * @param n their number
 * @param out receives 2 * n digits and a NUL: 2 * n + 1 bytes, owned by the caller
 */
void pw_text_hex(const unsigned char *bytes, size_t n, char *out);

/**
 * Copy a string folded to ASCII lower case (JIDs' domain parts and the keys the roles index
 * by; RFC 7622 leaves other scripts to PRECIS, which Peerwatch does not apply).
 * @param in the string
 * @param out receives the folded copy, truncated to cap - 1 characters and NUL-terminated
 * @param cap size of out (at least 1)
 */
void pw_text_fold(const char *in, char *out, size_t cap);

/**
 * Fold exactly n bytes to ASCII lower case, for text that is not NUL-terminated (a field in
 * a read buffer). No NUL is written.
 * @param in the bytes
 * @param n how many
 * @param out receives n bytes (may be in itself)
 */
void pw_text_fold_n(const char *in, size_t n, char *out);

#endif /* PW_TEXT_H */
