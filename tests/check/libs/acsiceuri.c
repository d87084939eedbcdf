/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: unit tests of STUN/TURN URI parsing (libacs-internal)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include <acs/acserror.h>
#include <acs/acsiceuri.h>

static AcsIceServer *
parse_ok (const gchar * uri)
{
  GError *err = NULL;
  AcsIceServer *s = acs_ice_server_parse (uri, &err);

  fail_unless (s != NULL, "%s: %s", uri, err ? err->message : "");
  fail_unless (err == NULL);
  return s;
}

static void
parse_fails (const gchar * uri, const gchar * secret)
{
  GError *err = NULL;
  AcsIceServer *s = acs_ice_server_parse (uri, &err);

  fail_unless (s == NULL, "%s was accepted", uri);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT));
  /* Error messages never quote credentials */
  if (secret)
    fail_if (strstr (err->message, secret) != NULL, "%s", err->message);
  g_error_free (err);
}

GST_START_TEST (test_stun_forms)
{
  AcsIceServer *s;

  s = parse_ok ("stun:192.0.2.1");
  fail_unless_equals_int (s->kind, ACS_ICE_SERVER_STUN);
  fail_unless_equals_string (s->host, "192.0.2.1");
  fail_unless_equals_int (s->port, 3478);
  fail_unless (s->user == NULL && s->password == NULL);
  acs_ice_server_free (s);

  s = parse_ok ("stun://stun.example.org:19302");
  fail_unless_equals_string (s->host, "stun.example.org");
  fail_unless_equals_int (s->port, 19302);
  acs_ice_server_free (s);

  s = parse_ok ("stun://[2001:db8::1]:3479");
  fail_unless_equals_string (s->host, "2001:db8::1");
  fail_unless_equals_int (s->port, 3479);
  {
    gchar *safe = acs_ice_server_to_safe_string (s);

    fail_unless_equals_string (safe, "stun://[2001:db8::1]:3479");
    g_free (safe);
  }
  acs_ice_server_free (s);
}

GST_END_TEST;

GST_START_TEST (test_turn_forms)
{
  AcsIceServer *s;
  gchar *safe;

  /* A TURN REST user name holds ':', a password '/', '+' and '=' */
  s = parse_ok ("turn://1700000000%3Aalice:a%2Fb%2Bc%3D@203.0.113.3:3478"
      "?transport=tcp");
  fail_unless_equals_int (s->kind, ACS_ICE_SERVER_TURN);
  fail_unless_equals_int (s->transport, ACS_ICE_SERVER_TRANSPORT_TCP);
  fail_unless_equals_string (s->user, "1700000000:alice");
  fail_unless_equals_string (s->password, "a/b+c=");
  safe = acs_ice_server_to_safe_string (s);
  fail_unless_equals_string (safe, "turn://203.0.113.3:3478?transport=tcp");
  fail_if (strstr (safe, "alice") || strstr (safe, "a/b"));
  g_free (safe);
  acs_ice_server_free (s);

  s = parse_ok ("turn:u:p@203.0.113.3");
  fail_unless_equals_int (s->transport, ACS_ICE_SERVER_TRANSPORT_UDP);
  fail_unless_equals_int (s->port, 3478);
  acs_ice_server_free (s);

  s = parse_ok ("turns://u:p@turn.example.org");
  fail_unless_equals_int (s->transport, ACS_ICE_SERVER_TRANSPORT_TLS);
  fail_unless_equals_int (s->port, 5349);
  acs_ice_server_free (s);

  s = parse_ok ("TURN://u:p@203.0.113.3:3478?TRANSPORT=UDP");
  fail_unless_equals_int (s->transport, ACS_ICE_SERVER_TRANSPORT_UDP);
  acs_ice_server_free (s);
}

GST_END_TEST;

GST_START_TEST (test_bad_uris)
{
  parse_fails ("192.0.2.1:3478", NULL);
  parse_fails ("http://192.0.2.1", NULL);
  parse_fails ("stun://", NULL);
  parse_fails ("stun://192.0.2.1:70000", NULL);
  parse_fails ("stun://user:secretpw@192.0.2.1", "secretpw");
  parse_fails ("stun://192.0.2.1?transport=tcp", NULL);
  parse_fails ("turn://192.0.2.1:3478", NULL);
  parse_fails ("turn://user@192.0.2.1:3478", NULL);
  parse_fails ("turn://u:secretpw@192.0.2.1?transport=sctp", "secretpw");
  parse_fails ("turn://u:secretpw@192.0.2.1?foo=bar", "secretpw");
  parse_fails ("turn://u:secretpw@192.0.2.1?", "secretpw");
  parse_fails ("turns://u:secretpw@192.0.2.1?transport=udp", "secretpw");
  parse_fails ("turn://u:secret%ZZ@192.0.2.1", "secret");
}

GST_END_TEST;

static Suite *
acsiceuri_suite (void)
{
  Suite *s = suite_create ("acsiceuri");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stun_forms);
  tcase_add_test (tc, test_turn_forms);
  tcase_add_test (tc, test_bad_uris);
  return s;
}

GST_CHECK_MAIN (acsiceuri);
