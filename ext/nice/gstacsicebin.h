/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: ICE transport of an rtcp-mux RTP stream on libnice */

#ifndef __GST_ACS_ICE_BIN_H__
#define __GST_ACS_ICE_BIN_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstAcsIceState:
 * @GST_ACS_ICE_STATE_NEW: not started
 * @GST_ACS_ICE_STATE_CHECKING: gathering candidates and checking pairs
 * @GST_ACS_ICE_STATE_CONNECTED: a pair works and carries media
 * @GST_ACS_ICE_STATE_DISCONNECTED: the selected path went silent or lost
 *   consent; it may recover, or an ICE restart may find a new one
 * @GST_ACS_ICE_STATE_FAILED: no path; an error was posted
 * @GST_ACS_ICE_STATE_CLOSED: the element went back to NULL
 */
typedef enum
{
  GST_ACS_ICE_STATE_NEW,
  GST_ACS_ICE_STATE_CHECKING,
  GST_ACS_ICE_STATE_CONNECTED,
  GST_ACS_ICE_STATE_DISCONNECTED,
  GST_ACS_ICE_STATE_FAILED,
  GST_ACS_ICE_STATE_CLOSED,
} GstAcsIceState;

#define GST_TYPE_ACS_ICE_STATE (gst_acs_ice_state_get_type ())
GType gst_acs_ice_state_get_type (void);

/**
 * GstAcsIceTransportPolicy:
 * @GST_ACS_ICE_TRANSPORT_POLICY_ALL: every candidate type
 * @GST_ACS_ICE_TRANSPORT_POLICY_RELAY: TURN relay candidates only
 */
typedef enum
{
  GST_ACS_ICE_TRANSPORT_POLICY_ALL,
  GST_ACS_ICE_TRANSPORT_POLICY_RELAY,
} GstAcsIceTransportPolicy;

#define GST_TYPE_ACS_ICE_TRANSPORT_POLICY (gst_acs_ice_transport_policy_get_type ())
GType gst_acs_ice_transport_policy_get_type (void);

#define GST_TYPE_ACS_ICE_BIN (gst_acs_ice_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsIceBin, gst_acs_ice_bin, GST, ACS_ICE_BIN, GstBin);

G_END_DECLS

#endif /* __GST_ACS_ICE_BIN_H__ */
