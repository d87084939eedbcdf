/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: writing JSON text
 *
 * The responses and event data of the controller are a handful of small
 * objects of known shape, written straight into a GString: building a
 * JsonNode tree with JsonBuilder and serialising it with JsonGenerator
 * cost about 40,000 instructions for a call object, which every response
 * and event carries. Strings are escaped as RFC 8259 section 7 requires
 * (quotation mark, reverse solidus, control characters); the text written
 * is UTF-8 when the strings given are. Request bodies are still parsed
 * with json-glib. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsjson.h"

#include <string.h>

/**
 * acs_json_append_string:
 * @out: where to write
 * @str: a UTF-8 string
 *
 * Appends @str as a JSON string, quoted and escaped.
 */
void
acs_json_append_string (GString * out, const gchar * str)
{
  static const gchar hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) str, *run = p;

  g_string_append_c (out, '"');
  for (; *p != '\0'; p++) {
    const gchar *esc;
    gchar u[7];

    if (*p >= 0x20 && *p != '"' && *p != '\\')
      continue;
    g_string_append_len (out, (const gchar *) run, p - run);
    run = p + 1;
    switch (*p) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      default:
        u[0] = '\\';
        u[1] = 'u';
        u[2] = '0';
        u[3] = '0';
        u[4] = hex[*p >> 4];
        u[5] = hex[*p & 0xf];
        u[6] = '\0';
        esc = u;
        break;
    }
    g_string_append (out, esc);
  }
  g_string_append_len (out, (const gchar *) run, p - run);
  g_string_append_c (out, '"');
}

/**
 * acs_json_append_string_or_null:
 * @out: where to write
 * @str: (nullable): a UTF-8 string
 *
 * Appends @str as a JSON string, or `null`.
 */
void
acs_json_append_string_or_null (GString * out, const gchar * str)
{
  if (str == NULL)
    acs_json_append_literal (out, "null");
  else
    acs_json_append_string (out, str);
}

/**
 * acs_json_append_int:
 * @out: where to write
 * @value: a number
 *
 * Appends @value as a JSON number.
 */
void
acs_json_append_int (GString * out, gint64 value)
{
  gchar buf[24];
  gchar *p = buf + sizeof (buf);
  guint64 v = value < 0 ? -(guint64) value : (guint64) value;

  do {
    *--p = '0' + v % 10;
    v /= 10;
  } while (v != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof (buf) - p);
}
