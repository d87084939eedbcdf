/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: telling RTP from RTCP on an rtcp-mux stream (RFC 5761) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsrtp.h"

#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8

#define READ_UINT32_BE(p) \
  (((guint32) (p)[0] << 24) | ((guint32) (p)[1] << 16) | \
   ((guint32) (p)[2] << 8) | (guint32) (p)[3])

/**
 * acs_rtp_classify:
 * @data: (array length=size): the packet, possibly SRTP/SRTCP protected
 * @size: its length in bytes
 * @ssrc: (out) (optional): the SSRC of the RTP packet, or the sender SSRC
 *   of the first RTCP packet
 *
 * Tells an RTP packet from an RTCP one on a multiplexed stream, as RFC 5761
 * section 4 does (second byte 192-223 is RTCP), and checks that the header
 * lengths fit in @size. Only the clear-text header is read, so this works
 * the same before and after SRTP protection. It is called once per packet
 * on the hot path and reads at most the 16 bytes of fixed header plus the
 * extension header.
 *
 * Returns: the #AcsPacketKind of the packet.
 */
AcsPacketKind
acs_rtp_classify (const guint8 * data, gsize size, guint32 * ssrc)
{
  guint pt, cc;
  gsize header_len;

  if (size < RTCP_HEADER_LEN)
    return ACS_PACKET_TOO_SHORT;
  if ((data[0] >> 6) != 2)
    return ACS_PACKET_MALFORMED;

  pt = data[1];
  if (pt >= 192 && pt <= 223) {
    if (ssrc)
      *ssrc = READ_UINT32_BE (data + 4);
    return ACS_PACKET_RTCP;
  }

  if (size < RTP_HEADER_LEN)
    return ACS_PACKET_TOO_SHORT;

  cc = data[0] & 0x0f;
  header_len = RTP_HEADER_LEN + 4 * cc;
  if (data[0] & 0x10) {
    guint ext_words;

    if (size < header_len + 4)
      return ACS_PACKET_MALFORMED;
    ext_words = ((guint) data[header_len + 2] << 8) | data[header_len + 3];
    header_len += 4 + 4 * (gsize) ext_words;
  }
  if (header_len > size)
    return ACS_PACKET_MALFORMED;

  if (ssrc)
    *ssrc = READ_UINT32_BE (data + 8);
  return ACS_PACKET_RTP;
}
