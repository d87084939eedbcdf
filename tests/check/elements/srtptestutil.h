/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: helpers shared by the SRTP element tests */

#ifndef __SRTP_TEST_UTIL_H__
#define __SRTP_TEST_UTIL_H__

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

G_BEGIN_DECLS

/* One protection profile as the tests see it */
typedef struct
{
  const gchar *name;            /* value name of GstAcsSrtpProfile */
  const gchar *rtp_cipher;      /* srtpenc nicks */
  const gchar *rtp_auth;
  const gchar *rtcp_cipher;
  const gchar *rtcp_auth;
  guint key_len;                /* master key + salt */
  guint rtp_tag;                /* bytes an SRTP packet grows */
  guint rtcp_tag;               /* SRTCP tag, without the 4-byte index */
} TestProfile;

extern const TestProfile test_profiles[];
extern const guint n_test_profiles;

#define TEST_PT 96

GstBuffer *test_key_new (gsize len, guint8 seed);
GstCaps *test_key_caps (const TestProfile * p, GstBuffer * key,
    const gchar * media_type, gint64 ssrc);
GstBuffer *test_rtp_new (guint32 ssrc, guint16 seq, guint32 ts,
    gsize payload_len);
GstBuffer *test_rtp_new_with_room (guint32 ssrc, guint16 seq, guint32 ts,
    gsize payload_len, gsize room);
GstBuffer *test_rtcp_sr_new (guint32 ssrc);
GstBuffer *test_rtcp_rr_new (guint32 ssrc, guint32 source);
GstBuffer *test_buffer_from_data (const guint8 * data, gsize len);

GstHarness *test_enc_new (const TestProfile * p, GstBuffer * key);
GstHarness *test_dec_new (const TestProfile * p, GstBuffer * key);
GstBus *test_harness_add_bus (GstHarness * h);

gboolean test_buffer_equal (GstBuffer * a, GstBuffer * b);
gboolean test_buffer_equal_data (GstBuffer * a, const guint8 * data,
    gsize len);
guint64 test_get_stat (GstElement * element, const gchar * field);
guint test_get_n_streams (GstElement * element);
gboolean test_get_stream (GstElement * element, guint32 ssrc,
    GstStructure ** stream);
guint test_get_roc (GstElement * element, guint32 ssrc);

GstBuffer *test_protect (GstHarness * enc, GstBuffer * in);
GstBuffer *test_unprotect (GstHarness * dec, GstBuffer * in);
void test_assert_no_output (GstHarness * h);

G_END_DECLS

#endif /* __SRTP_TEST_UTIL_H__ */
