/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: telling RTP from RTCP on an rtcp-mux stream (RFC 5761) */

#ifndef __ACS_RTP_H__
#define __ACS_RTP_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * AcsPacketKind:
 * @ACS_PACKET_RTP: an RTP packet whose fixed header, CSRC list and header
 *   extension fit in the packet
 * @ACS_PACKET_RTCP: an RTCP packet (RFC 5761 section 4: payload type byte
 *   192-223) with at least a common header and a sender SSRC
 * @ACS_PACKET_TOO_SHORT: shorter than the fixed header it claims
 * @ACS_PACKET_MALFORMED: not RTP version 2, or its header lengths run past
 *   the end of the packet
 *
 * What acs_rtp_classify() found.
 */
typedef enum
{
  ACS_PACKET_RTP,
  ACS_PACKET_RTCP,
  ACS_PACKET_TOO_SHORT,
  ACS_PACKET_MALFORMED,
} AcsPacketKind;

AcsPacketKind acs_rtp_classify (const guint8 * data, gsize size,
    guint32 * ssrc);

G_END_DECLS

#endif /* __ACS_RTP_H__ */
