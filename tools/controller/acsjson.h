/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: writing JSON text */

#ifndef __ACS_JSON_H__
#define __ACS_JSON_H__

#include <glib.h>

G_BEGIN_DECLS
/**
 * acs_json_append_literal:
 * @out: a #GString
 * @lit: a string literal
 *
 * Appends @lit, its length known when compiling.
 */
#define acs_json_append_literal(out, lit) \
  g_string_append_len ((out), "" lit, sizeof (lit) - 1)
void acs_json_append_string (GString * out, const gchar * str);

void acs_json_append_int (GString * out, gint64 value);

void acs_json_append_string_or_null (GString * out, const gchar * str);

G_END_DECLS
#endif /* __ACS_JSON_H__ */
