/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: client of the signaling controller */

#ifndef __GST_ACS_SIGNAL_H__
#define __GST_ACS_SIGNAL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstAcsSignalCallState:
 * @GST_ACS_SIGNAL_CALL_STATE_IDLE: no call
 * @GST_ACS_SIGNAL_CALL_STATE_CALLING: the invitation is out (placed by this
 *   user, or received and not yet ringing)
 * @GST_ACS_SIGNAL_CALL_STATE_RINGING: the callee's client is alerting
 * @GST_ACS_SIGNAL_CALL_STATE_ACTIVE: answered; media flows
 * @GST_ACS_SIGNAL_CALL_STATE_ENDED: the call is over
 *
 * The state of the current call as the controller reports it
 * (docs/protocol.md, section 3.1), with `idle` before the first call.
 */
typedef enum
{
  GST_ACS_SIGNAL_CALL_STATE_IDLE,
  GST_ACS_SIGNAL_CALL_STATE_CALLING,
  GST_ACS_SIGNAL_CALL_STATE_RINGING,
  GST_ACS_SIGNAL_CALL_STATE_ACTIVE,
  GST_ACS_SIGNAL_CALL_STATE_ENDED,
} GstAcsSignalCallState;

#define GST_TYPE_ACS_SIGNAL_CALL_STATE (gst_acs_signal_call_state_get_type ())
GType gst_acs_signal_call_state_get_type (void);

#define GST_TYPE_ACS_SIGNAL (gst_acs_signal_get_type ())
G_DECLARE_FINAL_TYPE (GstAcsSignal, gst_acs_signal, GST, ACS_SIGNAL,
    GstElement);

G_END_DECLS

#endif /* __GST_ACS_SIGNAL_H__ */
