/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of acs_rtp_classify() (libacs-internal)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include <acs/acsrtp.h>

static void
rtp_header (guint8 * d, guint8 b0, guint8 pt)
{
  memset (d, 0, 12);
  d[0] = b0;
  d[1] = pt;
  d[2] = 0x12;
  d[3] = 0x34;
  d[8] = 0xde;
  d[9] = 0xad;
  d[10] = 0xbe;
  d[11] = 0xef;
}

/* Classifies a heap copy, so that ASan sees any read past @size */
static AcsPacketKind
classify (const guint8 * d, gsize size, guint32 * ssrc)
{
  guint8 *copy = g_memdup2 (d, size);
  AcsPacketKind kind = acs_rtp_classify (copy, size, ssrc);

  g_free (copy);
  return kind;
}

GST_START_TEST (test_classify_rtp)
{
  guint8 d[64];
  guint32 ssrc = 0;

  rtp_header (d, 0x80, 96);
  fail_unless_equals_int (classify (d, 12, &ssrc), ACS_PACKET_RTP);
  fail_unless_equals_int (ssrc, 0xdeadbeef);
  fail_unless_equals_int (classify (d, 64, NULL), ACS_PACKET_RTP);

  /* Payload types next to the RTCP range, with and without marker */
  rtp_header (d, 0x80, 127);
  fail_unless_equals_int (classify (d, 20, NULL), ACS_PACKET_RTP);
  rtp_header (d, 0x80, 0x80 | 0);
  fail_unless_equals_int (classify (d, 20, NULL), ACS_PACKET_RTP);
  rtp_header (d, 0x80, 191);
  fail_unless_equals_int (classify (d, 20, NULL), ACS_PACKET_RTP);
  rtp_header (d, 0x80, 224);
  fail_unless_equals_int (classify (d, 20, NULL), ACS_PACKET_RTP);

  /* Padding bit does not matter */
  rtp_header (d, 0xa0, 96);
  fail_unless_equals_int (classify (d, 20, NULL), ACS_PACKET_RTP);

  /* CSRCs that fit exactly */
  rtp_header (d, 0x82, 96);
  fail_unless_equals_int (classify (d, 20, &ssrc), ACS_PACKET_RTP);
  fail_unless_equals_int (ssrc, 0xdeadbeef);

  /* Header extension of one word after two CSRCs: 12 + 8 + 4 + 4 */
  rtp_header (d, 0x92, 96);
  d[20] = 0xbe;
  d[21] = 0xde;
  d[22] = 0;
  d[23] = 1;
  fail_unless_equals_int (classify (d, 28, NULL), ACS_PACKET_RTP);
  /* Empty extension */
  d[23] = 0;
  fail_unless_equals_int (classify (d, 24, NULL), ACS_PACKET_RTP);
}

GST_END_TEST;

GST_START_TEST (test_classify_rtcp)
{
  guint8 d[64];
  guint32 ssrc = 0;
  guint pt;

  for (pt = 192; pt <= 223; pt++) {
    memset (d, 0, sizeof (d));
    d[0] = 0x81;
    d[1] = pt;
    d[3] = 6;
    d[4] = 0x01;
    d[5] = 0x02;
    d[6] = 0x03;
    d[7] = pt;
    ssrc = 0;
    fail_unless_equals_int (classify (d, 28, &ssrc), ACS_PACKET_RTCP);
    fail_unless_equals_int (ssrc, 0x01020300 | pt);
    /* A bare common header and SSRC is enough */
    fail_unless_equals_int (classify (d, 8, NULL), ACS_PACKET_RTCP);
    fail_unless_equals_int (classify (d, 7, NULL), ACS_PACKET_TOO_SHORT);
  }
  /* RTP with marker bit and payload type 72..76 looks like RTCP: that is
   * why RFC 5761 section 4 keeps those payload types out of rtcp-mux */
  rtp_header (d, 0x80, 0x80 | 72);
  fail_unless_equals_int (classify (d, 12, NULL), ACS_PACKET_RTCP);
}

GST_END_TEST;

GST_START_TEST (test_classify_short)
{
  guint8 d[16];
  gsize i;
  guint32 ssrc = 0x5a5a5a5a;

  rtp_header (d, 0x80, 96);
  for (i = 0; i < 12; i++) {
    fail_unless_equals_int (classify (d, i, &ssrc), ACS_PACKET_TOO_SHORT);
    fail_unless_equals_int (ssrc, 0x5a5a5a5a);
  }
  fail_unless_equals_int (acs_rtp_classify (d, 0, NULL), ACS_PACKET_TOO_SHORT);
}

GST_END_TEST;

GST_START_TEST (test_classify_malformed)
{
  guint8 d[128];
  guint32 ssrc = 0x5a5a5a5a;
  guint v;

  /* Versions 0, 1, 3, for RTP and RTCP payload types */
  for (v = 0; v < 4; v++) {
    if (v == 2)
      continue;
    rtp_header (d, v << 6, 96);
    fail_unless_equals_int (classify (d, 40, &ssrc), ACS_PACKET_MALFORMED);
    rtp_header (d, v << 6 | 1, 200);
    fail_unless_equals_int (classify (d, 40, &ssrc), ACS_PACKET_MALFORMED);
  }

  /* CSRC list past the end */
  rtp_header (d, 0x8f, 96);
  fail_unless_equals_int (classify (d, 12 + 15 * 4 - 1, &ssrc),
      ACS_PACKET_MALFORMED);
  fail_unless_equals_int (classify (d, 12 + 15 * 4, NULL), ACS_PACKET_RTP);
  rtp_header (d, 0x81, 96);
  fail_unless_equals_int (classify (d, 15, &ssrc), ACS_PACKET_MALFORMED);

  /* Extension header missing or cut */
  rtp_header (d, 0x90, 96);
  fail_unless_equals_int (classify (d, 12, &ssrc), ACS_PACKET_MALFORMED);
  fail_unless_equals_int (classify (d, 15, &ssrc), ACS_PACKET_MALFORMED);

  /* Extension length past the end, including the largest one */
  d[12] = 0xbe;
  d[13] = 0xde;
  d[14] = 0;
  d[15] = 3;
  fail_unless_equals_int (classify (d, 27, &ssrc), ACS_PACKET_MALFORMED);
  fail_unless_equals_int (classify (d, 28, NULL), ACS_PACKET_RTP);
  d[14] = 0xff;
  d[15] = 0xff;
  fail_unless_equals_int (classify (d, 128, &ssrc), ACS_PACKET_MALFORMED);

  /* Extension after CSRCs, cut */
  rtp_header (d, 0x93, 96);
  d[24] = 0x10;
  d[25] = 0x00;
  d[26] = 0;
  d[27] = 2;
  fail_unless_equals_int (classify (d, 35, &ssrc), ACS_PACKET_MALFORMED);
  fail_unless_equals_int (classify (d, 36, NULL), ACS_PACKET_RTP);

  /* The SSRC is not written for anything but RTP or RTCP */
  fail_unless_equals_int (ssrc, 0x5a5a5a5a);
}

GST_END_TEST;

GST_START_TEST (test_classify_fuzz)
{
  GRand *rand = g_rand_new_with_seed (7714);
  guint8 d[80];
  guint i, j;

  /* Whatever the bytes, the answer is consistent with the header */
  for (i = 0; i < 20000; i++) {
    gsize size = g_rand_int_range (rand, 0, sizeof (d) + 1);
    AcsPacketKind kind;

    for (j = 0; j < size; j++)
      d[j] = g_rand_int_range (rand, 0, 256);
    if (size > 0 && i % 2)
      d[0] = 0x80 | (d[0] & 0x3f);
    kind = classify (d, size, NULL);
    if (size < 8) {
      fail_unless_equals_int (kind, ACS_PACKET_TOO_SHORT);
    } else if ((d[0] >> 6) != 2) {
      fail_unless_equals_int (kind, ACS_PACKET_MALFORMED);
    } else if (d[1] >= 192 && d[1] <= 223) {
      fail_unless_equals_int (kind, ACS_PACKET_RTCP);
    } else if (kind == ACS_PACKET_RTP) {
      fail_unless (size >= 12u + 4u * (d[0] & 0x0f));
    }
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
acsrtp_suite (void)
{
  Suite *s = suite_create ("acsrtp");
  TCase *tc = tcase_create ("classify");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_classify_rtp);
  tcase_add_test (tc, test_classify_rtcp);
  tcase_add_test (tc, test_classify_short);
  tcase_add_test (tc, test_classify_malformed);
  tcase_add_test (tc, test_classify_fuzz);
  return s;
}

GST_CHECK_MAIN (acsrtp);
