/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: the acssrtp plugin gives libsrtp2 its AES-GCM cipher type on
 * kept NSS contexts when it loads (ext/srtp/acssrtpnssgcm.c), and
 * GST_ACS_SRTP_GCM=libsrtp2 keeps libsrtp2's own.
 *
 * If libsrtp2 ever refused the type (a new contract, a failing known
 * answer), the plugin would go on with libsrtp2's own and only log a
 * warning: every SRTP test would still pass and the group path would lose
 * a third of its speed unnoticed. This test loads the plugin itself (no
 * registry, so nothing loaded it before) and reads what it logged. Each
 * test runs in its own process (gst-check forks), so each loads the plugin
 * afresh. libs/srtpnssgcm checks the type's bytes against libsrtp2's.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>

#include <srtp2/srtp.h>

static GString *gcm_log;

static void
log_function (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  if (strcmp (gst_debug_category_get_name (category), "acssrtp") == 0 &&
      g_str_has_prefix (text, "AES-GCM:")) {
    gchar *name = g_strdup (gst_debug_level_get_name (level));

    /* the level's name comes padded */
    g_string_append_printf (gcm_log, "%s %s\n", g_strstrip (name), text);
    g_free (name);
  }
}

/* Loads the acssrtp plugin from GST_PLUGIN_PATH_1_0 (the build tree) and
 * returns what it said about AES-GCM */
static gchar *
load_acssrtp (void)
{
  const gchar *path = g_getenv ("GST_PLUGIN_PATH_1_0");
  gchar **dirs;
  GstPlugin *plugin = NULL;
  GstElement *enc;
  guint i;

  fail_unless (path != NULL, "GST_PLUGIN_PATH_1_0 is not set");
  gcm_log = g_string_new (NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("acssrtp", GST_LEVEL_INFO);
  gst_debug_add_log_function (log_function, NULL, NULL);

  dirs = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
  for (i = 0; dirs[i] && plugin == NULL; i++) {
    gchar *file = g_build_filename (dirs[i], "libgstacssrtp.so", NULL);

    if (g_file_test (file, G_FILE_TEST_EXISTS))
      plugin = gst_plugin_load_file (file, NULL);
    g_free (file);
  }
  g_strfreev (dirs);
  fail_unless (plugin != NULL, "libgstacssrtp.so not loaded from %s", path);

  /* the set-up runs when the first element registers */
  enc = gst_element_factory_make ("acssrtpenc", NULL);
  fail_unless (enc != NULL);
  gst_object_unref (enc);
  gst_object_unref (plugin);

  gst_debug_remove_log_function (log_function);
  return g_string_free (gcm_log, FALSE);
}

GST_START_TEST (test_plugin_installs_kept_contexts)
{
  gchar *said;

  g_unsetenv ("GST_ACS_SRTP_GCM");
  said = load_acssrtp ();
  fail_unless_equals_string (said, "INFO AES-GCM: one NSS context per key\n");
  g_free (said);
}

GST_END_TEST;

GST_START_TEST (test_env_keeps_libsrtp2)
{
  gchar *said;

  g_setenv ("GST_ACS_SRTP_GCM", "libsrtp2", TRUE);
  said = load_acssrtp ();
  fail_unless_equals_string (said,
      "INFO AES-GCM: libsrtp2's own (GST_ACS_SRTP_GCM=libsrtp2)\n");
  g_free (said);
}

GST_END_TEST;

/* libsrtp2 initialised by someone else first (gst-plugins-bad's srtp,
 * say): the plugin still installs its type, and a session made before it
 * keeps working */
GST_START_TEST (test_installs_after_another_user)
{
  srtp_policy_t policy;
  srtp_t tx = NULL, rx = NULL;
  guint8 key[SRTP_AES_GCM_128_KEY_LEN_WSALT];
  guint8 packet[64 + SRTP_MAX_TRAILER_LEN] = { 0x80, 111, 0, 1,
    0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78
  };
  int len = 64;
  gchar *said;

  g_unsetenv ("GST_ACS_SRTP_GCM");
  fail_unless_equals_int (srtp_init (), srtp_err_status_ok);
  memset (&policy, 0, sizeof (policy));
  memset (key, 0x5a, sizeof (key));
  srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  policy.key = key;
  policy.window_size = 128;
  policy.ssrc.type = ssrc_any_outbound;
  fail_unless_equals_int (srtp_create (&tx, &policy), srtp_err_status_ok);

  said = load_acssrtp ();
  fail_unless_equals_string (said, "INFO AES-GCM: one NSS context per key\n");
  g_free (said);

  /* protected with libsrtp2's own type (made before), opened with ours */
  policy.ssrc.type = ssrc_any_inbound;
  fail_unless_equals_int (srtp_create (&rx, &policy), srtp_err_status_ok);
  fail_unless_equals_int (srtp_protect (tx, packet, &len), srtp_err_status_ok);
  fail_unless_equals_int (len, 64 + 16);
  fail_unless_equals_int (srtp_unprotect (rx, packet, &len),
      srtp_err_status_ok);
  fail_unless_equals_int (len, 64);
  srtp_dealloc (tx);
  srtp_dealloc (rx);
}

GST_END_TEST;

static Suite *
acssrtpgcm_suite (void)
{
  Suite *s = suite_create ("acssrtpgcm");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_installs_kept_contexts);
  tcase_add_test (tc, test_env_keeps_libsrtp2);
  tcase_add_test (tc, test_installs_after_another_user);

  return s;
}

/* No registry: nothing may load the plugin before a test does */
int
main (int argc, char **argv)
{
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);

  return gst_check_run_suite (acssrtpgcm_suite (), "acssrtpgcm", __FILE__);
}
