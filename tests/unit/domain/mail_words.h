/* RFC 2047 "B" encoded words decoded independently of src/domain/mail.c (OpenSSL's base64, ICU's UTF-8
 * check), for the mail unit tests and fuzz/fuzz_mail.c. */
#ifndef BC_TEST_MAIL_WORDS_H
#define BC_TEST_MAIL_WORDS_H
#include <openssl/evp.h>
#include <unicode/ustring.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the encoded words of an unfolded header value; whitespace between two words is dropped (RFC 2047
 * 6.2). NULL (nothing to free) when a word is unterminated, longer than 75 characters, not base64 or not
 * whole UTF-8 characters on its own (section 5: each word must stand alone). Caller frees the result. */
static inline char *bc_test_decode_words(const char *v)
{
    char *out = calloc(1, strlen(v) + 1);
    size_t n = 0, word_end = 0;
    bool after_word = false;
    for (const char *p = v; *p;) {
        if (strncmp(p, "=?UTF-8?B?", 10) != 0) {
            if (*p != ' ') after_word = false;
            out[n++] = *p++;
            continue;
        }
        const char *e = strstr(p + 10, "?=");
        unsigned char buf[64];
        if (!e || e + 2 - p > 75) goto bad;
        int w = EVP_DecodeBlock(buf, (const unsigned char *)p + 10, (int)(e - p - 10));
        if (w < 0) goto bad;
        for (const char *q = e; q > p + 10 && q[-1] == '='; q--) w--; /* padding decodes as zero bytes */
        UErrorCode err = U_ZERO_ERROR;
        int32_t len = 0;
        u_strFromUTF8(NULL, 0, &len, (const char *)buf, w, &err);
        if (U_FAILURE(err) && err != U_BUFFER_OVERFLOW_ERROR) goto bad;
        if (after_word) n = word_end; /* drop the whitespace written since the last word */
        memcpy(out + n, buf, (size_t)w);
        n += (size_t)w;
        p = e + 2;
        word_end = n;
        after_word = true;
    }
    out[n] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

#endif
