/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: error domain shared by the plugins and the daemons */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acserror.h"

G_DEFINE_QUARK (acs - error - quark, acs_error);
