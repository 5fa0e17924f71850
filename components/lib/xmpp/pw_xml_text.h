/* pw_xml_text.h: XML written as text straight into a growing buffer (elements, escaped attributes and character data), for stanzas sent without building a libstrophe object tree. */
#ifndef PW_XML_TEXT_H
#define PW_XML_TEXT_H

#include <stddef.h>

/*
 * The buffer is a plain struct the caller owns (zero-initialised, or pw_xml_text_reset());
 * pw_xml_text_free() releases its memory. A failed allocation sets failed and makes every
 * later call a no-op: check failed once at the end.
 */
typedef struct pw_xml_text {
    char *buf;   /**< the text, NUL-terminated (NULL before the first write) */
    size_t len;  /**< its length */
    size_t cap;  /**< the buffer's size */
    int failed;  /**< an allocation failed: the text is incomplete */
} pw_xml_text_t;

/**
 * Empty the text, keeping its buffer for reuse.
 * @param t the text
 */
void pw_xml_text_reset(pw_xml_text_t *t);

/**
 * Free the buffer (the struct itself is the caller's) and empty the text.
 * @param t the text, or NULL
 */
void pw_xml_text_free(pw_xml_text_t *t);

/**
 * Append raw text, not escaped (markup written by the caller, or text escaped already).
 * @param t the text
 * @param raw the text to append
 * @param len its length
 */
void pw_xml_text_raw(pw_xml_text_t *t, const char *raw, size_t len);

/**
 * Open a start tag: "<name" (attributes follow, then pw_xml_text_start_end() or
 * pw_xml_text_empty_end()).
 * @param t the text
 * @param name the element's name (not escaped: a name from the program)
 */
void pw_xml_text_open(pw_xml_text_t *t, const char *name);

/**
 * Append an attribute: ' name="value"', the value escaped (& < > " ' as entities; other bytes,
 * UTF-8 included, as they are).
 * @param t the text
 * @param name the attribute's name (not escaped)
 * @param value its value
 */
void pw_xml_text_attr(pw_xml_text_t *t, const char *name, const char *value);

/**
 * Close the start tag: ">" (children or character data follow, then pw_xml_text_close()).
 * @param t the text
 */
void pw_xml_text_start_end(pw_xml_text_t *t);

/**
 * Close the start tag of an element without content: "/>".
 * @param t the text
 */
void pw_xml_text_empty_end(pw_xml_text_t *t);

/**
 * Append character data, escaped as attribute values are.
 * @param t the text
 * @param text the characters
 */
void pw_xml_text_chars(pw_xml_text_t *t, const char *text);

/**
 * Append an end tag: "</name>".
 * @param t the text
 * @param name the element's name
 */
void pw_xml_text_close(pw_xml_text_t *t, const char *name);

#endif /* PW_XML_TEXT_H */
