/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: SRTP plugin element registration */

#ifndef __GST_ACS_SRTP_ELEMENTS_H__
#define __GST_ACS_SRTP_ELEMENTS_H__

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL void acs_srtp_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (acssrtpenc);
GST_ELEMENT_REGISTER_DECLARE (acssrtpdec);
GST_ELEMENT_REGISTER_DECLARE (acssrtpfanout);

G_END_DECLS

#endif /* __GST_ACS_SRTP_ELEMENTS_H__ */
