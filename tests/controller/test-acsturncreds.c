/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: unit tests of the TURN REST credentials (acsturncreds.c)
 *
 * The known answer was computed once with OpenSSL:
 *   printf '%s' '1795652035:alice' \
 *     | openssl dgst -sha1 -hmac 'north-secret' -binary | base64
 * and the test recomputes another one with openssl(1) when it is
 * installed. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <acs/acsturncreds.h>

static void
test_known_answer (void)
{
  const gchar *secret = "north-secret";
  g_autofree gchar *username = NULL, *credential = NULL;

  acs_turn_creds_compute ((const guint8 *) secret, strlen (secret), "alice",
      1795652035, &username, &credential);
  g_assert_cmpstr (username, ==, "1795652035:alice");
  g_assert_cmpstr (credential, ==, "7t2eKmN2o3J3S8REG53bunNnx2g=");
}

static void
test_against_openssl (void)
{
  const gchar *secret = "s3cr3t with spaces+/=";
  g_autofree gchar *username = NULL, *credential = NULL;
  g_autofree gchar *openssl = g_find_program_in_path ("openssl");
  g_autofree gchar *script = NULL, *out = NULL;
  gint status;
  const gchar *argv[] = { "/bin/sh", "-c", NULL, NULL };

  /* scripts/install-deps.sh installs openssl: its absence is a failure */
  if (openssl == NULL) {
    g_test_message ("openssl(1) is not installed: run scripts/install-deps.sh");
    g_test_fail ();
    return;
  }
  acs_turn_creds_compute ((const guint8 *) secret, strlen (secret),
      "bob@example.org", 2000000000, &username, &credential);
  g_assert_cmpstr (username, ==, "2000000000:bob@example.org");
  script = g_strdup_printf ("printf '%%s' '%s' | openssl dgst -sha1 "
      "-hmac '%s' -binary | base64", username, secret);
  argv[2] = script;
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strchomp (out);
  g_assert_cmpstr (credential, ==, out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/acsturncreds/known-answer", test_known_answer);
  g_test_add_func ("/acsturncreds/against-openssl", test_against_openssl);
  return g_test_run ();
}
