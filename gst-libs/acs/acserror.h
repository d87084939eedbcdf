/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: error domain shared by the plugins and the daemons */

#ifndef __ACS_ERROR_H__
#define __ACS_ERROR_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * ACS_ERROR:
 *
 * The #GQuark of the errors gst-acs API calls return.
 */
#define ACS_ERROR (acs_error_quark ())

/**
 * AcsError:
 * @ACS_ERROR_INVALID_ARGUMENT: a string or value given by the caller is malformed
 * @ACS_ERROR_UNSUPPORTED: the input is well formed but asks for something not supported
 *
 * Error codes of the #ACS_ERROR domain.
 */
typedef enum
{
  ACS_ERROR_INVALID_ARGUMENT,
  ACS_ERROR_UNSUPPORTED,
} AcsError;

GQuark acs_error_quark (void);

G_END_DECLS

#endif /* __ACS_ERROR_H__ */
