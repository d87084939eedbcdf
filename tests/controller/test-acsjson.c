/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: unit tests of the controller's JSON writer (acsjson.c). What it
 * writes must read back through json-glib, the parser the controller and
 * its clients use, as the very string or number that was written. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <json-glib/json-glib.h>

#include "acsjson.h"

/* @text, written as a JSON string inside an array, read back by json-glib */
static gchar *
round_trip_string (const gchar * text, gchar ** written)
{
  GString *out = g_string_new ("[");
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  gchar *back;

  acs_json_append_string (out, text);
  g_string_append_c (out, ']');
  if (!json_parser_load_from_data (parser, out->str, -1, &err))
    g_error ("json-glib refused %s: %s", out->str, err->message);
  back = g_strdup (json_array_get_string_element (json_node_get_array
          (json_parser_get_root (parser)), 0));
  g_object_unref (parser);
  *written = g_string_free (out, FALSE);
  return back;
}

static void
test_escapes (void)
{
  const gchar *cases[] = {
    "",
    "plain",
    "quote \" and backslash \\",
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n",
    "tab\tbell\a form\f backspace\b unit\x1f",
    "\x01\x02\x03",
    "slash / stays",
    "UTF-8: h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *written, *back = round_trip_string (cases[i], &written);
    const gchar *p;

    g_assert_cmpstr (back, ==, cases[i]);
    /* RFC 8259 7: no raw control character in the text */
    for (p = written; *p; p++)
      g_assert_cmpuint ((guchar) * p, >=, 0x20);
    g_free (written);
    g_free (back);
  }
}

static void
test_exact_text (void)
{
  GString *out = g_string_new (NULL);

  acs_json_append_string (out, "a\"b\\c\nd\x01");
  g_assert_cmpstr (out->str, ==, "\"a\\\"b\\\\c\\nd\\u0001\"");
  g_string_truncate (out, 0);
  acs_json_append_string_or_null (out, NULL);
  g_assert_cmpstr (out->str, ==, "null");
  g_string_free (out, TRUE);
}

static void
test_int (void)
{
  const gint64 values[] = { 0, 1, -1, G_MAXINT32, G_MININT64, G_MAXINT64 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    GString *out = g_string_new ("[");
    JsonParser *parser = json_parser_new ();

    acs_json_append_int (out, values[i]);
    g_string_append_c (out, ']');
    g_assert_true (json_parser_load_from_data (parser, out->str, -1, NULL));
    g_assert_cmpint (json_array_get_int_element (json_node_get_array
            (json_parser_get_root (parser)), 0), ==, values[i]);
    g_object_unref (parser);
    g_string_free (out, TRUE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/acsjson/escapes", test_escapes);
  g_test_add_func ("/acsjson/exact-text", test_exact_text);
  g_test_add_func ("/acsjson/int", test_int);
  return g_test_run ();
}
