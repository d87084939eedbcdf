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

#include <errno.h>
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

/* Reading
 *
 * A strict RFC 8259 reader for request bodies (at most
 * ACS_REQUEST_MAX_BODY bytes, UTF-8 checked before): json-glib's parser
 * (GScanner, a GHashTable per object) was about 25,000 instructions for
 * a small body, a tenth of the controller's work per request. Values are
 * plain structs; objects keep their members in order, and the last of
 * members with the same name is the one found, as with json-glib. */

typedef struct
{
  const gchar *p;
  const gchar *end;
  guint depth;
  guint max_depth;
} Reader;

static void
value_clear (AcsJsonValue * value)
{
  guint i;

  switch (value->type) {
    case ACS_JSON_STRING:
      g_free (value->v.string);
      break;
    case ACS_JSON_ARRAY:
      for (i = 0; i < value->n; i++)
        value_clear (&value->v.elements[i]);
      g_free (value->v.elements);
      break;
    case ACS_JSON_OBJECT:
      for (i = 0; i < value->n; i++) {
        g_free (value->v.members[i].name);
        value_clear (&value->v.members[i].value);
      }
      g_free (value->v.members);
      break;
    default:
      break;
  }
  value->type = ACS_JSON_NULL;
  value->n = 0;
}

static void
skip_space (Reader * r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n'
          || *r->p == '\r'))
    r->p++;
}

static gint
hex_value (gchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits at @p (at least 4 bytes before the end) */
static gint
read_hex4 (const gchar * p)
{
  gint v = 0, i, d;

  for (i = 0; i < 4; i++) {
    if ((d = hex_value (p[i])) < 0)
      return -1;
    v = v << 4 | d;
  }
  return v;
}

/* A string at r->p (its opening quote); the result is allocated */
static gchar *
read_string (Reader * r)
{
  const gchar *start = ++r->p, *q;
  gboolean escapes = FALSE;
  gchar *out, *o;

  /* Its end, and whether it needs decoding */
  for (q = start; q < r->end && *q != '"'; q++) {
    if ((guchar) * q < 0x20)
      return NULL;
    if (*q == '\\') {
      escapes = TRUE;
      if (++q == r->end)
        return NULL;
    }
  }
  if (q == r->end)
    return NULL;
  r->p = q + 1;
  if (!escapes)
    return g_strndup (start, q - start);

  /* Decoded, a string is never longer than written */
  o = out = g_malloc (q - start + 1);
  while (start < q) {
    gint c, lo;

    if (*start != '\\') {
      *o++ = *start++;
      continue;
    }
    start++;
    switch (*start++) {
      case '"':
        *o++ = '"';
        break;
      case '\\':
        *o++ = '\\';
        break;
      case '/':
        *o++ = '/';
        break;
      case 'b':
        *o++ = '\b';
        break;
      case 'f':
        *o++ = '\f';
        break;
      case 'n':
        *o++ = '\n';
        break;
      case 'r':
        *o++ = '\r';
        break;
      case 't':
        *o++ = '\t';
        break;
      case 'u':
        if (q - start < 4 || (c = read_hex4 (start)) < 0)
          goto fail;
        start += 4;
        if (c >= 0xdc00 && c <= 0xdfff)
          goto fail;
        if (c >= 0xd800 && c <= 0xdbff) {
          /* A surrogate pair, or nothing */
          if (q - start < 6 || start[0] != '\\' || start[1] != 'u'
              || (lo = read_hex4 (start + 2)) < 0xdc00 || lo > 0xdfff)
            goto fail;
          start += 6;
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        }
        o += g_unichar_to_utf8 (c, o);
        break;
      default:
        goto fail;
    }
  }
  *o = '\0';
  return out;

fail:
  g_free (out);
  return NULL;
}

static gboolean
read_number (Reader * r, AcsJsonValue * value)
{
  const gchar *start = r->p, *p = r->p;
  gboolean integer = TRUE;
  gchar buf[64], *text, *end;

  if (p < r->end && *p == '-')
    p++;
  if (p == r->end || !g_ascii_isdigit (*p))
    return FALSE;
  if (*p == '0')
    p++;
  else
    while (p < r->end && g_ascii_isdigit (*p))
      p++;
  if (p < r->end && *p == '.') {
    integer = FALSE;
    if (++p == r->end || !g_ascii_isdigit (*p))
      return FALSE;
    while (p < r->end && g_ascii_isdigit (*p))
      p++;
  }
  if (p < r->end && (*p == 'e' || *p == 'E')) {
    integer = FALSE;
    p++;
    if (p < r->end && (*p == '+' || *p == '-'))
      p++;
    if (p == r->end || !g_ascii_isdigit (*p))
      return FALSE;
    while (p < r->end && g_ascii_isdigit (*p))
      p++;
  }
  r->p = p;

  text = (gsize) (p - start) < sizeof (buf) ? buf : g_malloc (p - start + 1);
  memcpy (text, start, p - start);
  text[p - start] = '\0';
  if (integer) {
    errno = 0;
    value->v.integer = g_ascii_strtoll (text, &end, 10);
    if (errno == 0) {
      value->type = ACS_JSON_INT;
      goto done;
    }
  }
  value->type = ACS_JSON_DOUBLE;
  value->v.dbl = g_ascii_strtod (text, &end);
done:
  if (text != buf)
    g_free (text);
  return TRUE;
}

static gboolean read_value (Reader * r, AcsJsonValue * value);

static gboolean
read_literal (Reader * r, const gchar * word, gsize len)
{
  if ((gsize) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

static gboolean
read_array (Reader * r, AcsJsonValue * value)
{
  guint allocated = 0;

  value->type = ACS_JSON_ARRAY;
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return TRUE;
  }
  for (;;) {
    if (value->n == allocated) {
      allocated = allocated ? allocated * 2 : 4;
      value->v.elements = g_renew (AcsJsonValue, value->v.elements, allocated);
    }
    memset (&value->v.elements[value->n], 0, sizeof (AcsJsonValue));
    /* counted now: freed with the array if it is bad */
    if (!read_value (r, &value->v.elements[value->n++]))
      return FALSE;
    skip_space (r);
    if (r->p == r->end)
      return FALSE;
    if (*r->p == ']') {
      r->p++;
      return TRUE;
    }
    if (*r->p++ != ',')
      return FALSE;
  }
}

static gboolean
read_object (Reader * r, AcsJsonValue * value)
{
  guint allocated = 0;

  value->type = ACS_JSON_OBJECT;
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return TRUE;
  }
  for (;;) {
    AcsJsonMember *m;

    skip_space (r);
    if (r->p == r->end || *r->p != '"')
      return FALSE;
    if (value->n == allocated) {
      allocated = allocated ? allocated * 2 : 4;
      value->v.members = g_renew (AcsJsonMember, value->v.members, allocated);
    }
    m = &value->v.members[value->n];
    memset (m, 0, sizeof (*m));
    if ((m->name = read_string (r)) == NULL)
      return FALSE;
    /* counted now: freed with the object if the value is bad */
    value->n++;
    skip_space (r);
    if (r->p == r->end || *r->p++ != ':')
      return FALSE;
    if (!read_value (r, &m->value))
      return FALSE;
    skip_space (r);
    if (r->p == r->end)
      return FALSE;
    if (*r->p == '}') {
      r->p++;
      return TRUE;
    }
    if (*r->p++ != ',')
      return FALSE;
  }
}

static gboolean
read_value (Reader * r, AcsJsonValue * value)
{
  gboolean ok;

  skip_space (r);
  if (r->p == r->end)
    return FALSE;
  switch (*r->p) {
    case '{':
    case '[':
      if (++r->depth > r->max_depth)
        return FALSE;
      ok = *r->p == '{' ? read_object (r, value) : read_array (r, value);
      r->depth--;
      return ok;
    case '"':
      value->type = ACS_JSON_STRING;
      return (value->v.string = read_string (r)) != NULL;
    case 't':
      value->type = ACS_JSON_BOOLEAN;
      value->v.boolean = TRUE;
      return read_literal (r, "true", 4);
    case 'f':
      value->type = ACS_JSON_BOOLEAN;
      value->v.boolean = FALSE;
      return read_literal (r, "false", 5);
    case 'n':
      value->type = ACS_JSON_NULL;
      return read_literal (r, "null", 4);
    default:
      return read_number (r, value);
  }
}

/**
 * acs_json_parse:
 * @data: (array length=len): JSON text, UTF-8 (not checked here)
 * @len: its length
 * @max_depth: the deepest nesting of arrays and objects allowed
 *
 * Reads one JSON value and nothing else but white space.
 *
 * Returns: (transfer full) (nullable): the value, %NULL when @data is not
 *   JSON.
 */
AcsJsonValue *
acs_json_parse (const gchar * data, gsize len, guint max_depth)
{
  Reader r = { data, data + len, 0, max_depth };
  AcsJsonValue *value = g_new0 (AcsJsonValue, 1);

  if (!read_value (&r, value)) {
    acs_json_value_free (value);
    return NULL;
  }
  skip_space (&r);
  if (r.p != r.end) {
    acs_json_value_free (value);
    return NULL;
  }
  return value;
}

/**
 * acs_json_object_new:
 *
 * Returns: (transfer full): an empty object.
 */
AcsJsonValue *
acs_json_object_new (void)
{
  AcsJsonValue *value = g_new0 (AcsJsonValue, 1);

  value->type = ACS_JSON_OBJECT;
  return value;
}

/**
 * acs_json_value_free:
 * @value: (transfer full) (nullable): a value of acs_json_parse()
 *
 * Frees @value.
 */
void
acs_json_value_free (AcsJsonValue * value)
{
  if (value == NULL)
    return;
  value_clear (value);
  g_free (value);
}

/**
 * acs_json_object_get:
 * @object: an object
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the value of the last member
 *   named @name, %NULL if none or if @object is not an object.
 */
const AcsJsonValue *
acs_json_object_get (const AcsJsonValue * object, const gchar * name)
{
  guint i;

  if (object == NULL || object->type != ACS_JSON_OBJECT)
    return NULL;
  for (i = object->n; i > 0; i--)
    if (strcmp (object->v.members[i - 1].name, name) == 0)
      return &object->v.members[i - 1].value;
  return NULL;
}
