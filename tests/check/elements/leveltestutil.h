/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs tests: RTP packets carrying an RFC 6464 audio level, and the
 * stats the level-ranking elements (acssfu, acsspeakerselect) report */

#ifndef __LEVEL_TEST_UTIL_H__
#define __LEVEL_TEST_UTIL_H__

#include <gst/check/gstcheck.h>
#include <gst/rtp/gstrtpbuffer.h>

/* @level arguments besides 0..127 */
#define LEVEL_ABSENT -1         /* no extension */
#define LEVEL_BAD_SIZE -2       /* a 2-byte value, which RFC 6464 forbids */

/* An Opus RTP packet (payload type 111) from @member with @payload_size
 * (at least 3) bytes of payload that name the member and the sequence
 * number (member, then @seq big-endian, then zeros), so that a receiver
 * can tell what it got; the level, when there is one, in the one-byte
 * header extension @ext_id with the voice-activity bit set */
static inline GstBuffer *
level_test_make_rtp (guint member, guint32 ssrc, guint16 seq, guint32 ts,
    guint ext_id, gint level, guint payload_size)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (payload_size, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  fail_unless (payload_size >= 3);
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0, payload_size);
  payload[0] = member;
  payload[1] = seq >> 8;
  payload[2] = seq & 0xff;
  if (level >= 0) {
    guint8 v = 0x80 | level;

    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, ext_id,
            &v, 1));
  } else if (level == LEVEL_BAD_SIZE) {
    guint8 v[2] = { 0xff, 0xff };

    fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, ext_id,
            v, 2));
  }
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* A guint64 field of @element's `stats` structure; fails if it is missing */
static inline guint64
level_test_stat (GstElement * element, const gchar * name)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), name);
  gst_structure_free (s);
  return v;
}

#endif /* __LEVEL_TEST_UTIL_H__ */
