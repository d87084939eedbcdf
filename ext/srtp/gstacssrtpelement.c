/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: one-time libsrtp2 set-up shared by the SRTP elements */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstacssrtpelements.h"
#include "gstacssrtp.h"

#include <string.h>

#ifdef HAVE_NSS
#include <nss.h>
#include "acssrtpnssgcm.h"
#endif

GST_DEBUG_CATEGORY (gst_acs_srtp_debug);
#define GST_CAT_DEFAULT gst_acs_srtp_debug

/* libsrtp2 2.5 fails a second srtp_init() in a process (its crypto kernel
 * re-runs self-tests that cannot run twice), and another user of the
 * library, gst-plugins-bad's srtp plugin say, may have called it first:
 * the library is fine if a session can be made */
static gboolean
srtp_library_usable (void)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  guint8 key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = { 0, };

  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 128;
  if (srtp_create (&session, &policy) != srtp_err_status_ok)
    return FALSE;
  srtp_dealloc (session);
  return TRUE;
}

/* Debian's libsrtp2 does its ciphers with NSS and, when nobody in the
 * process has initialised NSS yet, initialises it with NSS_NoDB_Init(),
 * which optimises for space: every key object goes into a 32-bucket table
 * that each encryption searches. With one SRTP session per member of a
 * room, that is 3.6 us a packet at 1,000 sessions and 23 us at 3,000,
 * against 1.1 us at one. Initialised here first, the same way but for
 * that flag, NSS uses 1,024 buckets: 2.2 us and 4.5 us
 * (docs/performance.md, acsmixer (b)). */
static void
nss_init_for_many_keys (void)
{
#ifdef HAVE_NSS
  if (NSS_IsInitialized ())
    return;
  if (NSS_Initialize ("", "", "", "", NSS_INIT_READONLY | NSS_INIT_NOCERTDB |
          NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT) !=
      SECSuccess)
    GST_WARNING ("could not initialise NSS; libsrtp2 will do it itself");
#endif
}

/* libsrtp2's AES-GCM on one NSS context per key instead of a PKCS #11
 * session per packet (ext/srtp/acssrtpnssgcm.c, docs/decisions.md);
 * GST_ACS_SRTP_GCM=libsrtp2 keeps libsrtp2's own, to compare. Process-wide:
 * another user of libsrtp2 in the process gets it too. */
static void
srtp_gcm_install (void)
{
#ifdef HAVE_NSS
  const gchar *choice = g_getenv ("GST_ACS_SRTP_GCM");
  srtp_err_status_t err;

  if (g_strcmp0 (choice, "libsrtp2") == 0) {
    GST_INFO ("AES-GCM: libsrtp2's own (GST_ACS_SRTP_GCM=libsrtp2)");
    return;
  }
  err = acs_srtp_nss_gcm_install ();
  if (err != srtp_err_status_ok)
    GST_WARNING ("AES-GCM: libsrtp2 refused the NSS context per key cipher "
        "(error %d); libsrtp2's own stays", err);
  else
    GST_INFO ("AES-GCM: one NSS context per key");
#endif
}

static gpointer
srtp_library_init (gpointer data)
{
  srtp_err_status_t err;

  GST_DEBUG_CATEGORY_INIT (gst_acs_srtp_debug, "acssrtp", 0,
      "gst-acs SRTP common code");

  nss_init_for_many_keys ();
  err = srtp_init ();
  if (err != srtp_err_status_ok && !srtp_library_usable ()) {
    GST_ERROR ("libsrtp2 initialisation failed: %d", err);
    return GINT_TO_POINTER (FALSE);
  }
  if (err != srtp_err_status_ok)
    GST_DEBUG ("libsrtp2 was initialised by another user in this process");
  srtp_install_event_handler (gst_acs_srtp_event_handler);
  srtp_gcm_install ();

  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_CIPHER_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_AUTH_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ACS_SRTP_PROFILE, 0);

  return GINT_TO_POINTER (TRUE);
}

/* Run by GST_ELEMENT_REGISTER_DEFINE_WITH_CODE of each element; libsrtp2
 * is set up once per process and never shut down, as other users of the
 * library in the same process (srtpenc, say) may still need it. */
void
acs_srtp_element_init (GstPlugin * plugin)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, srtp_library_init, NULL);
}
