/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libsrtp2's AES-GCM cipher type on one NSS context per key
 *
 * Debian's libsrtp2 does AES-GCM through NSS with PK11_Encrypt() and
 * PK11_Decrypt(), which open a PKCS #11 session, look the key object up
 * and build an AES and GHASH context for every packet: about 7.7 k
 * instructions and 1.3 us a packet with a thousand keys, half of a group
 * call's media processor (docs/performance.md, acsmixer (b)). libsrtp2 lets
 * an application replace the implementation of a cipher type
 * (srtp_replace_cipher_type()); this one keeps, per cipher instance (one a
 * key and direction in libsrtp2's streams), an NSS AEAD message context
 * (PKCS #11 3.0 C_EncryptMessage/C_DecryptMessage through PK11_AEADOp())
 * and passes each packet's IV and AAD with the call.
 *
 * Nothing of SRTP is here: key derivation, the RFC 7714 IV and AAD, packet
 * index and replay window stay libsrtp2's, and AES-GCM is NSS's. This file
 * is the glue libsrtp2's cipher interface asks for, the same contract as
 * libsrtp2's own crypto/cipher/aes_gcm_nss.c (2.5): encrypt() works in
 * place and keeps the tag for get_tag(); decrypt() gets the ciphertext
 * followed by the tag and fails with srtp_err_status_auth_fail when the
 * tag does not verify. libsrtp2 runs this type's known answers and the
 * replaced type's own before accepting it (docs/decisions.md). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acssrtpnssgcm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/cipher.h>

#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>

#define GCM_IV_LEN 12
#define GCM_MAX_TAG_LEN 16
/* libsrtp2's own limit (MAX_AD_SIZE): an RTP header with its CSRCs and
 * extensions, or an SRTCP header and index */
#define GCM_MAX_AAD_LEN 512

typedef struct
{
  NSSInitContext *nss;
  PK11SymKey *key;
  PK11Context *enc;             /* made at the first encryption */
  PK11Context *dec;             /* made at the first decryption */
  int key_size;
  int tag_size;
  unsigned int aad_len;
  unsigned char iv[GCM_IV_LEN];
  unsigned char tag[GCM_MAX_TAG_LEN];
  unsigned char aad[GCM_MAX_AAD_LEN];
} AcsNssGcm;

static const srtp_cipher_type_t acs_nss_gcm_128;
static const srtp_cipher_type_t acs_nss_gcm_256;

static void
acs_nss_gcm_clear_key (AcsNssGcm * g)
{
  if (g->enc)
    PK11_DestroyContext (g->enc, PR_TRUE);
  if (g->dec)
    PK11_DestroyContext (g->dec, PR_TRUE);
  if (g->key)
    PK11_FreeSymKey (g->key);
  g->enc = NULL;
  g->dec = NULL;
  g->key = NULL;
}

static srtp_err_status_t
acs_nss_gcm_alloc (srtp_cipher_pointer_t * cp, int key_len, int tag_len)
{
  const srtp_cipher_type_t *type;
  srtp_cipher_t *c;
  AcsNssGcm *g;
  NSSInitContext *nss;
  int key_size, algorithm;

  switch (key_len) {
    case SRTP_AES_GCM_128_KEY_LEN_WSALT:
      type = &acs_nss_gcm_128;
      key_size = SRTP_AES_128_KEY_LEN;
      algorithm = SRTP_AES_GCM_128;
      break;
    case SRTP_AES_GCM_256_KEY_LEN_WSALT:
      type = &acs_nss_gcm_256;
      key_size = SRTP_AES_256_KEY_LEN;
      algorithm = SRTP_AES_GCM_256;
      break;
    default:
      return srtp_err_status_bad_param;
  }
  if (tag_len != 16 && tag_len != 8)
    return srtp_err_status_bad_param;

  /* A reference on NSS for as long as the key lives; NSS is normally
   * initialised already (the acssrtp plugin does it for many keys), and
   * this is then a counter. */
  nss = NSS_InitContext ("", "", "", "", NULL, NSS_INIT_READONLY |
      NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN |
      NSS_INIT_NOROOTINIT);
  if (nss == NULL)
    return srtp_err_status_cipher_fail;

  c = calloc (1, sizeof (*c));
  g = calloc (1, sizeof (*g));
  if (c == NULL || g == NULL) {
    free (c);
    free (g);
    NSS_ShutdownContext (nss);
    return srtp_err_status_alloc_fail;
  }
  g->nss = nss;
  g->key_size = key_size;
  g->tag_size = tag_len;
  c->type = type;
  c->state = g;
  c->key_len = key_len;
  c->algorithm = algorithm;
  *cp = c;

  return srtp_err_status_ok;
}

static srtp_err_status_t
acs_nss_gcm_dealloc (srtp_cipher_pointer_t c)
{
  AcsNssGcm *g = c->state;

  if (g != NULL) {
    acs_nss_gcm_clear_key (g);
    if (g->nss)
      NSS_ShutdownContext (g->nss);
    explicit_bzero (g, sizeof (*g));
    free (g);
  }
  free (c);

  return srtp_err_status_ok;
}

/* @key is the session key followed by the session salt; the salt is
 * libsrtp2's (it makes the IV) */
static srtp_err_status_t
acs_nss_gcm_init (void *state, const uint8_t * key)
{
  AcsNssGcm *g = state;
  PK11SlotInfo *slot;
  SECItem item = { siBuffer, (unsigned char *) key, g->key_size };

  acs_nss_gcm_clear_key (g);
  g->aad_len = 0;

  slot = PK11_GetBestSlot (CKM_AES_GCM, NULL);
  if (slot == NULL)
    return srtp_err_status_cipher_fail;
  g->key = PK11_ImportSymKeyWithFlags (slot, CKM_AES_GCM, PK11_OriginUnwrap,
      CKA_FLAGS_ONLY, &item, CKF_ENCRYPT | CKF_DECRYPT, PR_FALSE, NULL);
  PK11_FreeSlot (slot);

  return g->key ? srtp_err_status_ok : srtp_err_status_cipher_fail;
}

static srtp_err_status_t
acs_nss_gcm_set_iv (void *state, uint8_t * iv,
    srtp_cipher_direction_t direction)
{
  AcsNssGcm *g = state;

  if (direction != srtp_direction_encrypt &&
      direction != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  memcpy (g->iv, iv, GCM_IV_LEN);

  return srtp_err_status_ok;
}

/* libsrtp2 may give the AAD in pieces (SRTCP: header, then the index);
 * the next encrypt() or decrypt() uses and resets it */
static srtp_err_status_t
acs_nss_gcm_set_aad (void *state, const uint8_t * aad, uint32_t aad_len)
{
  AcsNssGcm *g = state;

  if (aad_len > GCM_MAX_AAD_LEN - g->aad_len)
    return srtp_err_status_bad_param;
  memcpy (g->aad + g->aad_len, aad, aad_len);
  g->aad_len += aad_len;

  return srtp_err_status_ok;
}

/* The message context of one direction, made when first needed: a
 * libsrtp2 stream only ever encrypts or only decrypts */
static PK11Context *
acs_nss_gcm_context (AcsNssGcm * g, CK_ATTRIBUTE_TYPE operation)
{
  PK11Context **ctx = operation == CKA_ENCRYPT ? &g->enc : &g->dec;
  SECItem none = { siBuffer, NULL, 0 };

  if (*ctx == NULL && g->key != NULL)
    *ctx = PK11_CreateContextBySymKey (CKM_AES_GCM,
        CKA_NSS_MESSAGE | operation, g->key, &none);

  return *ctx;
}

static srtp_err_status_t
acs_nss_gcm_encrypt (void *state, uint8_t * buf, unsigned int *len)
{
  AcsNssGcm *g = state;
  PK11Context *ctx = acs_nss_gcm_context (g, CKA_ENCRYPT);
  unsigned int aad_len = g->aad_len;
  unsigned char empty[1];
  int out_len = 0;
  SECStatus rv;

  g->aad_len = 0;
  if (ctx == NULL)
    return srtp_err_status_cipher_fail;
  if (*len > INT_MAX)
    return srtp_err_status_bad_param;
  /* libsrtp2 encrypts nothing, only authenticates, with a NULL buffer */
  if (buf == NULL) {
    if (*len != 0)
      return srtp_err_status_bad_param;
    buf = empty;
  }

  rv = PK11_AEADOp (ctx, CKG_NO_GENERATE, 0, g->iv, GCM_IV_LEN, g->aad,
      (int) aad_len, buf, &out_len, (int) *len, g->tag, g->tag_size, buf,
      (int) *len);
  if (rv != SECSuccess || out_len != (int) *len)
    return srtp_err_status_cipher_fail;

  return srtp_err_status_ok;
}

static srtp_err_status_t
acs_nss_gcm_get_tag (void *state, uint8_t * tag, uint32_t * len)
{
  AcsNssGcm *g = state;

  memcpy (tag, g->tag, g->tag_size);
  *len = g->tag_size;

  return srtp_err_status_ok;
}

/* @buf holds the ciphertext and then the tag, *@len both */
static srtp_err_status_t
acs_nss_gcm_decrypt (void *state, uint8_t * buf, unsigned int *len)
{
  AcsNssGcm *g = state;
  PK11Context *ctx = acs_nss_gcm_context (g, CKA_DECRYPT);
  unsigned int aad_len = g->aad_len;
  unsigned char empty[1];
  int ct_len, out_len = 0;
  SECStatus rv;

  g->aad_len = 0;
  if (ctx == NULL)
    return srtp_err_status_cipher_fail;
  if (*len < (unsigned int) g->tag_size || *len > INT_MAX)
    return srtp_err_status_bad_param;
  if (buf == NULL)
    return srtp_err_status_bad_param;
  ct_len = (int) *len - g->tag_size;

  rv = PK11_AEADOp (ctx, CKG_NO_GENERATE, 0, g->iv, GCM_IV_LEN, g->aad,
      (int) aad_len, ct_len ? buf : empty, &out_len, ct_len, buf + ct_len,
      g->tag_size, buf, ct_len);
  if (rv != SECSuccess) {
    return PORT_GetError () == SEC_ERROR_BAD_DATA ?
        srtp_err_status_auth_fail : srtp_err_status_cipher_fail;
  }
  if (out_len != ct_len)
    return srtp_err_status_cipher_fail;
  *len = (unsigned int) out_len;

  return srtp_err_status_ok;
}

/* Known answers: test cases 4 (AES-128) and 16 (AES-256) of McGrew and
 * Viega, "The Galois/Counter Mode of Operation (GCM)"; libsrtp2 wants a
 * key with its salt (the last 12 octets, unused by the cipher). libsrtp2
 * then runs the replaced type's own cases too. */
static const uint8_t acs_nss_gcm_test_key[SRTP_AES_GCM_256_KEY_LEN_WSALT] = {
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
  0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
  0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
  0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
  0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
  0xde, 0xca, 0xf8, 0x88
};

static uint8_t acs_nss_gcm_test_iv[GCM_IV_LEN] = {
  0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
  0xde, 0xca, 0xf8, 0x88
};

static const uint8_t acs_nss_gcm_test_plaintext[60] = {
  0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5,
  0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
  0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
  0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
  0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53,
  0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
  0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57,
  0xba, 0x63, 0x7b, 0x39
};

static const uint8_t acs_nss_gcm_test_aad[20] = {
  0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
  0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
  0xab, 0xad, 0xda, 0xd2
};

/* ciphertext, then the 16-octet tag */
static const uint8_t acs_nss_gcm_128_test_ciphertext[76] = {
  0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24,
  0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
  0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
  0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
  0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c,
  0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
  0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97,
  0x3d, 0x58, 0xe0, 0x91,
  0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
  0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47
};

static const uint8_t acs_nss_gcm_256_test_ciphertext[76] = {
  0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07,
  0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42, 0x7d,
  0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9,
  0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa,
  0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d,
  0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
  0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a,
  0xbc, 0xc9, 0xf6, 0x62,
  0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68,
  0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b
};

static const srtp_cipher_test_case_t acs_nss_gcm_128_test_case = {
  /* test case 16's key is test case 4's twice: its second half and the
   * salt make test case 4's key with salt */
  SRTP_AES_GCM_128_KEY_LEN_WSALT, acs_nss_gcm_test_key + 16,
  acs_nss_gcm_test_iv,
  sizeof (acs_nss_gcm_test_plaintext), acs_nss_gcm_test_plaintext,
  sizeof (acs_nss_gcm_128_test_ciphertext), acs_nss_gcm_128_test_ciphertext,
  sizeof (acs_nss_gcm_test_aad), acs_nss_gcm_test_aad,
  16, NULL
};

static const srtp_cipher_test_case_t acs_nss_gcm_256_test_case = {
  SRTP_AES_GCM_256_KEY_LEN_WSALT, acs_nss_gcm_test_key,
  acs_nss_gcm_test_iv,
  sizeof (acs_nss_gcm_test_plaintext), acs_nss_gcm_test_plaintext,
  sizeof (acs_nss_gcm_256_test_ciphertext), acs_nss_gcm_256_test_ciphertext,
  sizeof (acs_nss_gcm_test_aad), acs_nss_gcm_test_aad,
  16, NULL
};

static const srtp_cipher_type_t acs_nss_gcm_128 = {
  acs_nss_gcm_alloc,
  acs_nss_gcm_dealloc,
  acs_nss_gcm_init,
  acs_nss_gcm_set_aad,
  acs_nss_gcm_encrypt,
  acs_nss_gcm_decrypt,
  acs_nss_gcm_set_iv,
  acs_nss_gcm_get_tag,
  "AES-128 GCM, NSS context per key (gst-acs)",
  &acs_nss_gcm_128_test_case,
  SRTP_AES_GCM_128
};

static const srtp_cipher_type_t acs_nss_gcm_256 = {
  acs_nss_gcm_alloc,
  acs_nss_gcm_dealloc,
  acs_nss_gcm_init,
  acs_nss_gcm_set_aad,
  acs_nss_gcm_encrypt,
  acs_nss_gcm_decrypt,
  acs_nss_gcm_set_iv,
  acs_nss_gcm_get_tag,
  "AES-256 GCM, NSS context per key (gst-acs)",
  &acs_nss_gcm_256_test_case,
  SRTP_AES_GCM_256
};

srtp_err_status_t
acs_srtp_nss_gcm_install (void)
{
  srtp_err_status_t err;

  err = srtp_replace_cipher_type (&acs_nss_gcm_128, SRTP_AES_GCM_128);
  if (err != srtp_err_status_ok)
    return err;
  return srtp_replace_cipher_type (&acs_nss_gcm_256, SRTP_AES_GCM_256);
}
