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
/**
 * AcsJsonType:
 *
 * The kinds of JSON values; numbers are integers when written without a
 * fraction or an exponent and within 64 bits.
 */
    typedef enum
{
  ACS_JSON_NULL,
  ACS_JSON_BOOLEAN,
  ACS_JSON_INT,
  ACS_JSON_DOUBLE,
  ACS_JSON_STRING,
  ACS_JSON_ARRAY,
  ACS_JSON_OBJECT,
} AcsJsonType;

typedef struct _AcsJsonValue AcsJsonValue;
typedef struct _AcsJsonMember AcsJsonMember;

/**
 * AcsJsonValue:
 * @type: the kind
 * @n: elements of an array, members of an object
 *
 * A JSON value read by acs_json_parse(). Strings are NUL-terminated UTF-8
 * (a string holding U+0000 ends there, as with json-glib).
 */
struct _AcsJsonValue
{
  AcsJsonType type;
  guint n;
  union
  {
    gboolean boolean;
    gint64 integer;
    gdouble dbl;
    gchar *string;
    AcsJsonValue *elements;
    AcsJsonMember *members;
  } v;
};

struct _AcsJsonMember
{
  gchar *name;
  AcsJsonValue value;
};

AcsJsonValue *acs_json_parse (const gchar * data, gsize len, guint max_depth);

AcsJsonValue *acs_json_object_new (void);

void acs_json_value_free (AcsJsonValue * value);

const AcsJsonValue *acs_json_object_get (const AcsJsonValue * object,
    const gchar * name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcsJsonValue, acs_json_value_free);

void acs_json_append_string (GString * out, const gchar * str);

void acs_json_append_int (GString * out, gint64 value);

void acs_json_append_string_or_null (GString * out, const gchar * str);

G_END_DECLS
#endif /* __ACS_JSON_H__ */
