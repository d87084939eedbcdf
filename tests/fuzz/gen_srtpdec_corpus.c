/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: writes the seed corpus of srtpdec_fuzzer
 *
 * Usage: gen-srtpdec-corpus DIR
 *
 * The packets are protected with libsrtp2's own RFC policies
 * (AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80) and the keys of fuzzkeys.h,
 * not with acssrtpenc, so that the corpus also checks that acssrtpdec reads
 * what any conforming sender writes. The output is deterministic. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib.h>
#include <srtp2/srtp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzkeys.h"

#define MAX_PACKET (1500 + SRTP_MAX_TRAILER_LEN)

#define SSRC_A FUZZ_CAPS_SSRC
#define SSRC_B 0x55667788

typedef struct
{
  guint8 data[MAX_PACKET];
  gint len;
} Packet;

static const gchar *out_dir;

static void
die (const gchar * what)
{
  fprintf (stderr, "gen-srtpdec-corpus: %s\n", what);
  exit (1);
}

static srtp_t
session_new (gboolean aes_cm, gboolean key_b, guint32 ssrc, guint32 roc)
{
  guint8 key[30];
  srtp_policy_t policy;
  srtp_t session;

  memcpy (key, key_b ? fuzz_key_b : fuzz_key_a, sizeof (key));
  memset (&policy, 0, sizeof (policy));
  if (aes_cm) {
    srtp_crypto_policy_set_rtp_default (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  }
  policy.ssrc.type = ssrc ? ssrc_specific : ssrc_any_outbound;
  policy.ssrc.value = ssrc;
  policy.key = key;
  policy.window_size = 128;
  if (srtp_create (&session, &policy) != srtp_err_status_ok)
    die ("srtp_create failed");
  if (roc && srtp_set_stream_roc (session, ssrc, roc) != srtp_err_status_ok)
    die ("srtp_set_stream_roc failed");
  return session;
}

/* An RTP packet: @n_csrc CSRCs, a header extension of @ext_words words
 * when @ext_profile is not 0, @payload_len bytes of payload */
static void
rtp_packet (Packet * p, guint16 seq, guint32 ssrc, guint n_csrc,
    guint16 ext_profile, guint16 ext_words, guint payload_len)
{
  guint8 *d = p->data;
  guint32 ts = 960u * seq;
  guint i;

  d[0] = 0x80 | (ext_profile ? 0x10 : 0) | n_csrc;
  d[1] = (seq % 50 == 1 ? 0x80 : 0) | 96;
  d[2] = seq >> 8;
  d[3] = seq & 0xff;
  d[4] = ts >> 24;
  d[5] = ts >> 16;
  d[6] = ts >> 8;
  d[7] = ts;
  d[8] = ssrc >> 24;
  d[9] = ssrc >> 16;
  d[10] = ssrc >> 8;
  d[11] = ssrc;
  p->len = 12;
  for (i = 0; i < n_csrc; i++) {
    guint32 csrc = 0xc0000000 + i;

    d[p->len++] = csrc >> 24;
    d[p->len++] = csrc >> 16;
    d[p->len++] = csrc >> 8;
    d[p->len++] = csrc;
  }
  if (ext_profile) {
    d[p->len++] = ext_profile >> 8;
    d[p->len++] = ext_profile & 0xff;
    d[p->len++] = ext_words >> 8;
    d[p->len++] = ext_words & 0xff;
    for (i = 0; i < 4u * ext_words; i++)
      d[p->len++] = ext_profile == 0xbede ? (i % 4 == 0 ? 0x10 : 0x42) : i;
  }
  for (i = 0; i < payload_len; i++)
    d[p->len++] = (guint8) (seq + i);
}

static void
put16 (Packet * p, guint v)
{
  p->data[p->len++] = v >> 8;
  p->data[p->len++] = v & 0xff;
}

static void
put32 (Packet * p, guint32 v)
{
  put16 (p, v >> 16);
  put16 (p, v & 0xffff);
}

/* A compound RTCP packet: SR (or RR) with one report block, then SDES */
static void
rtcp_packet (Packet * p, guint32 ssrc, gboolean sr)
{
  static const gchar cname[] = "fuzz@gst-acs";
  guint sdes_len = 4 + 2 + sizeof (cname) - 1;
  guint i;

  p->len = 0;
  p->data[p->len++] = 0x81;
  p->data[p->len++] = sr ? 200 : 201;
  put16 (p, sr ? 12 : 7);
  put32 (p, ssrc);
  if (sr) {
    put32 (p, 0xe8f1a2b3);
    put32 (p, 0x40000000);
    put32 (p, 96000);
    put32 (p, 100);
    put32 (p, 16000);
  }
  put32 (p, SSRC_B);
  put32 (p, 0x02000003);
  put32 (p, 100);
  put32 (p, 5);
  put32 (p, 0);
  put32 (p, 0);

  /* SDES with one chunk, padded to 32 bits with at least one NUL */
  sdes_len = (sdes_len + 1 + 3) & ~3u;
  p->data[p->len++] = 0x81;
  p->data[p->len++] = 202;
  put16 (p, sdes_len / 4);
  put32 (p, ssrc);
  p->data[p->len++] = 1;
  p->data[p->len++] = sizeof (cname) - 1;
  memcpy (p->data + p->len, cname, sizeof (cname) - 1);
  p->len += sizeof (cname) - 1;
  for (i = 4 + 2 + sizeof (cname) - 1; i < sdes_len; i++)
    p->data[p->len++] = 0;
}

static void
protect (srtp_t s, Packet * p)
{
  if (srtp_protect (s, p->data, &p->len) != srtp_err_status_ok)
    die ("srtp_protect failed");
}

static void
protect_rtcp (srtp_t s, Packet * p)
{
  if (srtp_protect_rtcp (s, p->data, &p->len) != srtp_err_status_ok)
    die ("srtp_protect_rtcp failed");
}

static GByteArray *
input_new (guint8 flags)
{
  GByteArray *in = g_byte_array_new ();

  g_byte_array_append (in, &flags, 1);
  return in;
}

/* Appends one record of a FUZZ_FLAG_SPLIT input */
static void
add_record (GByteArray * in, const guint8 * data, guint len)
{
  guint8 hdr[2] = { len >> 8, len & 0xff };

  g_byte_array_append (in, hdr, 2);
  g_byte_array_append (in, data, len);
}

static void
add_packet (GByteArray * in, const Packet * p)
{
  add_record (in, p->data, p->len);
}

static void
add_rekey (GByteArray * in)
{
  add_record (in, NULL, 0);
}

static void
write_input (const gchar * name, GByteArray * in)
{
  gchar *path = g_build_filename (out_dir, name, NULL);
  GError *error = NULL;

  if (!g_file_set_contents (path, (const gchar *) in->data, in->len, &error))
    die (error->message);
  g_free (path);
  g_byte_array_unref (in);
}

/* One protected RTP packet with @n_csrc CSRCs and an extension */
static void
write_single (const gchar * name, gboolean aes_cm, guint n_csrc,
    guint16 ext_profile, guint16 ext_words, guint payload_len)
{
  GByteArray *in = input_new (aes_cm ? FUZZ_FLAG_AES_CM : 0);
  srtp_t s = session_new (aes_cm, FALSE, 0, 0);
  Packet p;

  rtp_packet (&p, 1, SSRC_A, n_csrc, ext_profile, ext_words, payload_len);
  protect (s, &p);
  g_byte_array_append (in, p.data, p.len);
  write_input (name, in);
  srtp_dealloc (s);
}

static void
write_rtcp (const gchar * name, gboolean aes_cm, gboolean sr)
{
  GByteArray *in = input_new (aes_cm ? FUZZ_FLAG_AES_CM : 0);
  srtp_t s = session_new (aes_cm, FALSE, 0, 0);
  Packet p;

  rtcp_packet (&p, SSRC_A, sr);
  protect_rtcp (s, &p);
  g_byte_array_append (in, p.data, p.len);
  write_input (name, in);
  srtp_dealloc (s);
}

/* RTP seq 1-3, an SRTCP packet, then seq 2 again (a replay) */
static void
write_stream (const gchar * name, guint8 flags)
{
  gboolean aes_cm = flags & FUZZ_FLAG_AES_CM;
  GByteArray *in = input_new (flags | FUZZ_FLAG_SPLIT);
  srtp_t s = session_new (aes_cm, FALSE, 0, 0);
  Packet p, replay;
  guint seq;

  for (seq = 1; seq <= 3; seq++) {
    rtp_packet (&p, seq, SSRC_A, 0, 0, 0, 40);
    protect (s, &p);
    add_packet (in, &p);
    if (seq == 2)
      replay = p;
  }
  rtcp_packet (&p, SSRC_A, TRUE);
  protect_rtcp (s, &p);
  add_packet (in, &p);
  add_packet (in, &replay);
  write_input (name, in);
  srtp_dealloc (s);
}

/* A packet whose tag lost bytes, fragments, a header-only packet and a
 * cut SRTCP packet */
static void
write_truncated (const gchar * name, guint8 flags)
{
  gboolean aes_cm = flags & FUZZ_FLAG_AES_CM;
  GByteArray *in = input_new (flags | FUZZ_FLAG_SPLIT);
  srtp_t s = session_new (aes_cm, FALSE, 0, 0);
  Packet p;

  rtp_packet (&p, 1, SSRC_A, 1, 0xbede, 1, 30);
  protect (s, &p);
  add_record (in, p.data, p.len - 3);
  add_record (in, p.data, 7);
  add_record (in, p.data, 11);
  add_record (in, p.data, 16);
  rtp_packet (&p, 2, SSRC_A, 0, 0, 0, 0);
  protect (s, &p);
  add_packet (in, &p);
  rtcp_packet (&p, SSRC_A, FALSE);
  protect_rtcp (s, &p);
  add_record (in, p.data, p.len - 6);
  add_record (in, p.data, 8);
  write_input (name, in);
  srtp_dealloc (s);
}

/* Key A, a re-key record, a packet still under key A (the previous key),
 * then packets under key B */
static void
write_rekey (const gchar * name, guint8 flags)
{
  gboolean aes_cm = flags & FUZZ_FLAG_AES_CM;
  GByteArray *in = input_new (flags | FUZZ_FLAG_SPLIT);
  srtp_t a = session_new (aes_cm, FALSE, 0, 0);
  srtp_t b = session_new (aes_cm, TRUE, 0, 0);
  Packet p;

  rtp_packet (&p, 1, SSRC_A, 0, 0, 0, 40);
  protect (a, &p);
  add_packet (in, &p);
  add_rekey (in);
  rtp_packet (&p, 2, SSRC_A, 0, 0, 0, 40);
  protect (a, &p);
  add_packet (in, &p);
  rtp_packet (&p, 3, SSRC_A, 0, 0, 0, 40);
  protect (b, &p);
  add_packet (in, &p);
  rtcp_packet (&p, SSRC_A, TRUE);
  protect_rtcp (b, &p);
  add_packet (in, &p);
  write_input (name, in);
  srtp_dealloc (a);
  srtp_dealloc (b);
}

/* Two SSRCs, keyed by request-key (or the caps), with rollover counter
 * @roc */
static void
write_two_ssrcs (const gchar * name, guint8 flags, guint32 roc)
{
  gboolean aes_cm = flags & FUZZ_FLAG_AES_CM;
  GByteArray *in = input_new (flags | FUZZ_FLAG_SPLIT);
  srtp_t a = session_new (aes_cm, FALSE, SSRC_A, roc);
  srtp_t b = session_new (aes_cm, FALSE, SSRC_B, roc);
  Packet p;
  guint seq;

  for (seq = 10; seq < 13; seq++) {
    rtp_packet (&p, seq, SSRC_A, 0, 0, 0, 24);
    protect (a, &p);
    add_packet (in, &p);
    rtp_packet (&p, seq, SSRC_B, 2, 0, 0, 24);
    protect (b, &p);
    add_packet (in, &p);
  }
  rtcp_packet (&p, SSRC_B, FALSE);
  protect_rtcp (b, &p);
  add_packet (in, &p);
  write_input (name, in);
  srtp_dealloc (a);
  srtp_dealloc (b);
}

/* Sequence numbers across the 16-bit wrap: the rollover counter moves */
static void
write_seq_wrap (const gchar * name, guint8 flags)
{
  gboolean aes_cm = flags & FUZZ_FLAG_AES_CM;
  GByteArray *in = input_new (flags | FUZZ_FLAG_SPLIT);
  srtp_t s = session_new (aes_cm, FALSE, 0, 0);
  guint16 seqs[] = { 65533, 65534, 65535, 0, 1 };
  Packet p;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (seqs); i++) {
    rtp_packet (&p, seqs[i], SSRC_A, 0, 0, 0, 20);
    protect (s, &p);
    add_packet (in, &p);
  }
  write_input (name, in);
  srtp_dealloc (s);
}

/* Not SRTP at all: wrong version, header lengths past the end, clear RTCP */
static void
write_malformed (const gchar * name)
{
  GByteArray *in = input_new (FUZZ_FLAG_SPLIT);
  Packet p;

  rtp_packet (&p, 1, SSRC_A, 0, 0, 0, 20);
  p.data[0] = 0x40;
  add_packet (in, &p);
  rtp_packet (&p, 2, SSRC_A, 0, 0xbede, 2, 0);
  p.data[15] = 40;
  add_packet (in, &p);
  rtp_packet (&p, 3, SSRC_A, 15, 0, 0, 0);
  add_record (in, p.data, 40);
  rtp_packet (&p, 4, SSRC_A, 0, 0x1000, 1, 0);
  add_record (in, p.data, 14);
  rtcp_packet (&p, SSRC_A, TRUE);
  add_packet (in, &p);
  write_input (name, in);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    die ("usage: gen-srtpdec-corpus DIR");
  out_dir = argv[1];
  if (srtp_init () != srtp_err_status_ok)
    die ("srtp_init failed");

  write_single ("gcm-rtp", FALSE, 0, 0, 0, 160);
  write_single ("aes-cm-rtp", TRUE, 0, 0, 0, 160);
  write_single ("gcm-csrc-ext", FALSE, 2, 0xbede, 1, 60);
  write_single ("aes-cm-csrc-ext", TRUE, 15, 0x1000, 2, 60);
  write_single ("gcm-no-payload", FALSE, 0, 0, 0, 0);
  write_rtcp ("gcm-rtcp-sr", FALSE, TRUE);
  write_rtcp ("aes-cm-rtcp-rr", TRUE, FALSE);
  write_stream ("gcm-stream", 0);
  write_stream ("aes-cm-list-shared", FUZZ_FLAG_AES_CM | FUZZ_FLAG_LIST |
      FUZZ_FLAG_SHARED);
  write_truncated ("gcm-truncated", 0);
  write_truncated ("aes-cm-truncated-two-memories",
      FUZZ_FLAG_AES_CM | FUZZ_FLAG_TWO_MEMORIES);
  write_rekey ("gcm-rekey", 0);
  write_rekey ("aes-cm-rekey-list", FUZZ_FLAG_AES_CM | FUZZ_FLAG_LIST);
  write_two_ssrcs ("gcm-request-key", FUZZ_FLAG_REQUEST_KEY, 0);
  write_two_ssrcs ("aes-cm-request-key-roc",
      FUZZ_FLAG_AES_CM | FUZZ_FLAG_REQUEST_KEY | FUZZ_FLAG_ROC, 1);
  write_two_ssrcs ("gcm-caps-ssrc", FUZZ_FLAG_CAPS_SSRC, 0);
  write_seq_wrap ("gcm-seq-wrap", 0);
  write_malformed ("malformed");

  srtp_shutdown ();
  return 0;
}
