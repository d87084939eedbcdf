/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: the fixed keys of the acssrtpdec fuzz target and its corpus
 * generator. Test keys, not secrets. */

#ifndef __ACS_FUZZ_KEYS_H__
#define __ACS_FUZZ_KEYS_H__

#include <glib.h>

G_BEGIN_DECLS

/* Key A: the RFC 3711 appendix B.3 master key and salt. AEAD_AES_128_GCM
 * takes its first 28 bytes (16-byte key, 12-byte salt),
 * AES_CM_128_HMAC_SHA1_80 all 30 (16-byte key, 14-byte salt). */
static const guint8 fuzz_key_a[30] = {
  0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
  0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
  0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb,
  0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6
};

/* Key B: what the default key becomes after a re-key record */
static const guint8 fuzz_key_b[30] = {
  0x1e, 0x06, 0x85, 0xf2, 0xc1, 0xfe, 0x74, 0x1f,
  0x29, 0xb0, 0x5c, 0xd3, 0xf9, 0x21, 0xbe, 0xc6,
  0xf1, 0x39, 0x8a, 0x52, 0xb6, 0x75, 0x01, 0x14,
  0x49, 0x69, 0xf4, 0xc5, 0x54, 0x19
};

#define FUZZ_KEY_LEN_GCM 28
#define FUZZ_KEY_LEN_AES_CM 30

/* The SSRC that sink caps with an `ssrc` field key (FUZZ_FLAG_CAPS_SSRC) */
#define FUZZ_CAPS_SSRC 0x11223344

/* First byte of a srtpdec_fuzzer input */
#define FUZZ_FLAG_AES_CM (1 << 0)       /* AES_CM_128_HMAC_SHA1_80, not GCM */
#define FUZZ_FLAG_LIST (1 << 1)         /* push packets as a GstBufferList */
#define FUZZ_FLAG_SPLIT (1 << 2)        /* 2-byte length prefixed records */
#define FUZZ_FLAG_REQUEST_KEY (1 << 3)  /* answer request-key with key A */
#define FUZZ_FLAG_ROC (1 << 4)          /* ... and with roc 1 */
#define FUZZ_FLAG_SHARED (1 << 5)       /* keep a ref: buffers not writable */
#define FUZZ_FLAG_TWO_MEMORIES (1 << 6) /* each buffer in two GstMemory */
#define FUZZ_FLAG_CAPS_SSRC (1 << 7)    /* caps key FUZZ_CAPS_SSRC with A */

G_END_DECLS

#endif /* __ACS_FUZZ_KEYS_H__ */
