/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the AES-GCM cipher type the acssrtp plugin gives libsrtp2
 * (ext/srtp/acssrtpnssgcm.c) against libsrtp2's own.
 *
 * Before installing it, the test protects a set of RTP and RTCP packets
 * with libsrtp2's own AES-GCM (all three GCM crypto policies, header
 * extensions and CSRCs in the AAD, an empty payload, SRTCP with and without
 * encryption); after, the same packets must come out byte for byte the
 * same, libsrtp2's own packets must unprotect to the originals, and a
 * single flipped bit anywhere must fail authentication without upsetting
 * the next packet. AES-GCM is deterministic for a key, IV and AAD, so any
 * difference is a fault of the new type.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/rtp/gstrtcpbuffer.h>

#include <srtp2/srtp.h>

#include "acssrtpnssgcm.h"

#define MAX_PACKET (1500 + SRTP_MAX_TRAILER_LEN)
#define N_PACKETS 8
#define N_RTCP 3

typedef enum
{
  SUITE_GCM_128_16,
  SUITE_GCM_256_16,
  SUITE_GCM_128_8,
  N_SUITES
} GcmSuite;

typedef struct
{
  guint8 data[MAX_PACKET];
  int len;
  int header_len;               /* RTP: fixed header, CSRCs, extension */
} Packet;

/* the plaintexts and what libsrtp2's own AES-GCM made of them */
static Packet plain_rtp[N_PACKETS];
static Packet plain_rtcp[N_RTCP];
static Packet ref_rtp[N_SUITES][N_PACKETS];
static Packet ref_rtcp[N_SUITES][N_RTCP];

static const guint32 test_ssrc = 0x5eed1234;

static void
set_policy (srtp_policy_t * policy, GcmSuite suite, guint8 * key)
{
  guint i;

  memset (policy, 0, sizeof (*policy));
  switch (suite) {
    case SUITE_GCM_128_16:
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
      break;
    case SUITE_GCM_256_16:
      srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy->rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth (&policy->rtcp);
      break;
    default:
      srtp_crypto_policy_set_aes_gcm_128_8_auth (&policy->rtp);
      /* SRTCP authenticated only: libsrtp2 encrypts nothing, with a NULL
       * buffer */
      srtp_crypto_policy_set_aes_gcm_128_8_only_auth (&policy->rtcp);
      break;
  }
  for (i = 0; i < SRTP_AES_GCM_256_KEY_LEN_WSALT; i++)
    key[i] = (guint8) (0x11 * (suite + 1) + 7 * i);
  policy->key = key;
  policy->window_size = 128;
}

static srtp_t
make_session (GcmSuite suite, gboolean outbound)
{
  srtp_policy_t policy;
  guint8 key[SRTP_AES_GCM_256_KEY_LEN_WSALT];
  srtp_t session = NULL;

  set_policy (&policy, suite, key);
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  return session;
}

/* RTP packet @i: payload sizes 0 to 1,200, some with CSRCs and a
 * header extension (both in the AAD) */
static void
make_rtp (guint i, Packet * p)
{
  static const guint payload_sizes[N_PACKETS] =
      { 160, 0, 1, 15, 16, 17, 320, 1200 };
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf;
  guint8 *payload;
  guint j, csrcs = (i % 3 == 2) ? 2 : 0;

  buf = gst_rtp_buffer_new_allocate (payload_sizes[i], 0, csrcs);
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_seq (&rtp, (guint16) (65530 + i)); /* rolls over */
  gst_rtp_buffer_set_timestamp (&rtp, 1000 + 960 * i);
  gst_rtp_buffer_set_ssrc (&rtp, test_ssrc);
  for (j = 0; j < csrcs; j++)
    gst_rtp_buffer_set_csrc (&rtp, j, 0xc0000000 + j);
  if (i % 2 == 1) {
    guint8 level = 0x80 | (guint8) i;

    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, 1,
            &level, 1));
  }
  p->header_len = (int) gst_rtp_buffer_get_header_len (&rtp);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (j = 0; j < payload_sizes[i]; j++)
    payload[j] = (guint8) (j * 31 + i);
  gst_rtp_buffer_unmap (&rtp);

  p->len = (int) gst_buffer_get_size (buf);
  fail_unless (p->len <= 1500);
  gst_buffer_extract (buf, 0, p->data, p->len);
  gst_buffer_unref (buf);
}

/* RTCP packet @i: an empty receiver report, an APP packet with data */
static void
make_rtcp (guint i, Packet * p)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  guint8 data[32];
  guint j;

  fail_unless (gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp));
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, test_ssrc);
  if (i > 0) {
    fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_APP,
            &packet));
    gst_rtcp_packet_app_set_ssrc (&packet, test_ssrc);
    gst_rtcp_packet_app_set_name (&packet, "acst");
    fail_unless (gst_rtcp_packet_app_set_data_length (&packet, 2 * i));
    for (j = 0; j < 8 * i && j < sizeof (data); j++)
      data[j] = (guint8) (j ^ i);
    memcpy (gst_rtcp_packet_app_get_data (&packet), data, 8 * i);
  }
  gst_rtcp_buffer_unmap (&rtcp);

  p->len = (int) gst_buffer_get_size (buf);
  gst_buffer_extract (buf, 0, p->data, p->len);
  gst_buffer_unref (buf);
}

static void
protect_all (GcmSuite suite, Packet * rtp_out, Packet * rtcp_out)
{
  srtp_t tx = make_session (suite, TRUE);
  guint i;

  for (i = 0; i < N_PACKETS; i++) {
    rtp_out[i] = plain_rtp[i];
    fail_unless_equals_int (srtp_protect (tx, rtp_out[i].data,
            &rtp_out[i].len), srtp_err_status_ok);
  }
  for (i = 0; i < N_RTCP; i++) {
    rtcp_out[i] = plain_rtcp[i];
    fail_unless_equals_int (srtp_protect_rtcp (tx, rtcp_out[i].data,
            &rtcp_out[i].len), srtp_err_status_ok);
  }
  srtp_dealloc (tx);
}

/* libsrtp2 once per process: the references with its own cipher, then
 * ours (as the plugin does) */
static gpointer
setup_once (gpointer data)
{
  GcmSuite s;
  guint i;

  fail_unless_equals_int (srtp_init (), srtp_err_status_ok);
  for (i = 0; i < N_PACKETS; i++)
    make_rtp (i, &plain_rtp[i]);
  for (i = 0; i < N_RTCP; i++)
    make_rtcp (i, &plain_rtcp[i]);
  for (s = 0; s < N_SUITES; s++)
    protect_all (s, ref_rtp[s], ref_rtcp[s]);

  fail_unless_equals_int (acs_srtp_nss_gcm_install (), srtp_err_status_ok);
  return NULL;
}

static void
setup (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, setup_once, NULL);
}

GST_START_TEST (test_same_bytes_as_libsrtp2)
{
  Packet rtp[N_PACKETS], rtcp[N_RTCP];
  GcmSuite s;
  guint i;

  setup ();
  for (s = 0; s < N_SUITES; s++) {
    protect_all (s, rtp, rtcp);
    for (i = 0; i < N_PACKETS; i++) {
      fail_unless_equals_int (rtp[i].len, ref_rtp[s][i].len);
      fail_unless (memcmp (rtp[i].data, ref_rtp[s][i].data, rtp[i].len) == 0,
          "suite %d, RTP packet %u differs from libsrtp2's", s, i);
      /* and it is a protection, not a copy */
      fail_if (rtp[i].len == plain_rtp[i].len);
    }
    for (i = 0; i < N_RTCP; i++) {
      fail_unless_equals_int (rtcp[i].len, ref_rtcp[s][i].len);
      fail_unless (memcmp (rtcp[i].data, ref_rtcp[s][i].data,
              rtcp[i].len) == 0,
          "suite %d, RTCP packet %u differs from libsrtp2's", s, i);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_unprotects_libsrtp2_packets)
{
  GcmSuite s;
  guint i;

  setup ();
  for (s = 0; s < N_SUITES; s++) {
    srtp_t rx = make_session (s, FALSE);

    for (i = 0; i < N_PACKETS; i++) {
      Packet p = ref_rtp[s][i];

      fail_unless_equals_int (srtp_unprotect (rx, p.data, &p.len),
          srtp_err_status_ok);
      fail_unless_equals_int (p.len, plain_rtp[i].len);
      fail_unless (memcmp (p.data, plain_rtp[i].data, p.len) == 0);
    }
    for (i = 0; i < N_RTCP; i++) {
      Packet p = ref_rtcp[s][i];

      fail_unless_equals_int (srtp_unprotect_rtcp (rx, p.data, &p.len),
          srtp_err_status_ok);
      fail_unless_equals_int (p.len, plain_rtcp[i].len);
      fail_unless (memcmp (p.data, plain_rtcp[i].data, p.len) == 0);
    }
    srtp_dealloc (rx);
  }
}

GST_END_TEST;

/* Every bit of a protected packet is covered: one flipped in the header
 * (the payload type), the payload or the tag fails, and the untouched packet still passes
 * afterwards (the failure did not advance the replay window) */
GST_START_TEST (test_flipped_bit_fails_auth)
{
  GcmSuite s;
  guint i;

  srtp_err_status_t err;

  setup ();
  for (s = 0; s < N_SUITES; s++) {
    srtp_t rx = make_session (s, FALSE);

    for (i = 0; i < N_PACKETS; i++) {
      const Packet *ref = &ref_rtp[s][i];
      int h = plain_rtp[i].header_len;
      int positions[] = { 1, h, h + (ref->len - h) / 2, ref->len - 1 };
      guint j;

      for (j = 0; j < G_N_ELEMENTS (positions); j++) {
        Packet p = *ref;

        p.data[positions[j]] ^= 0x10;
        err = srtp_unprotect (rx, p.data, &p.len);
        fail_unless (err == srtp_err_status_auth_fail,
            "suite %d, packet %u, bit flipped in octet %d: error %d", s, i,
            positions[j], err);
      }
      {
        Packet p = *ref;

        fail_unless_equals_int (srtp_unprotect (rx, p.data, &p.len),
            srtp_err_status_ok);
        fail_unless (memcmp (p.data, plain_rtp[i].data, p.len) == 0);
        /* and a replay of it is libsrtp2's to refuse */
        p = *ref;
        fail_unless_equals_int (srtp_unprotect (rx, p.data, &p.len),
            srtp_err_status_replay_fail);
      }
    }
    for (i = 0; i < N_RTCP; i++) {
      Packet p = ref_rtcp[s][i];

      p.data[p.len - 5] ^= 0x01;        /* in the tag, before the index */
      fail_unless_equals_int (srtp_unprotect_rtcp (rx, p.data, &p.len),
          srtp_err_status_auth_fail);
    }
    srtp_dealloc (rx);
  }
}

GST_END_TEST;

/* A thousand sessions, as a group call's media processor has: each key's
 * context is its own (a packet under one key does not open under the
 * next), and all are released (the suite runs under LeakSanitizer) */
GST_START_TEST (test_many_keys)
{
  enum
  { N = 1000 };
  srtp_t tx[N], rx[N];
  srtp_policy_t policy;
  guint8 key[SRTP_AES_GCM_256_KEY_LEN_WSALT];
  guint i;

  setup ();
  for (i = 0; i < N; i++) {
    set_policy (&policy, SUITE_GCM_128_16, key);
    key[0] = (guint8) i;
    key[1] = (guint8) (i >> 8);
    policy.ssrc.type = ssrc_any_outbound;
    fail_unless_equals_int (srtp_create (&tx[i], &policy), srtp_err_status_ok);
    policy.ssrc.type = ssrc_any_inbound;
    fail_unless_equals_int (srtp_create (&rx[i], &policy), srtp_err_status_ok);
  }
  for (i = 0; i < N; i++) {
    Packet p = plain_rtp[0], wrong;

    fail_unless_equals_int (srtp_protect (tx[i], p.data, &p.len),
        srtp_err_status_ok);
    /* the next receiver has not seen this index yet (a replay is refused
     * before authentication) */
    wrong = p;
    if (i + 1 < N)
      fail_unless_equals_int (srtp_unprotect (rx[i + 1], wrong.data,
              &wrong.len), srtp_err_status_auth_fail);
    fail_unless_equals_int (srtp_unprotect (rx[i], p.data, &p.len),
        srtp_err_status_ok);
    fail_unless (memcmp (p.data, plain_rtp[0].data, p.len) == 0);
  }
  for (i = 0; i < N; i++) {
    srtp_dealloc (tx[i]);
    srtp_dealloc (rx[i]);
  }
}

GST_END_TEST;

static Suite *
srtpnssgcm_suite (void)
{
  Suite *s = suite_create ("srtpnssgcm");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_same_bytes_as_libsrtp2);
  tcase_add_test (tc, test_unprotects_libsrtp2_packets);
  tcase_add_test (tc, test_flipped_bit_fails_auth);
  tcase_add_test (tc, test_many_keys);

  return s;
}

/* No plugin may load: the acssrtp plugin, or gst-plugins-bad's srtp,
 * would initialise libsrtp2 (and the first replace its AES-GCM) before the
 * references are made; srtp_init() succeeding in setup_once() shows they
 * did not. */
int
main (int argc, char **argv)
{
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);

  return gst_check_run_suite (srtpnssgcm_suite (), "srtpnssgcm", __FILE__);
}
