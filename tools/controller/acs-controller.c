/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: the signaling controller of gst-acs
 *
 *   acs-controller [--listen ADDR:PORT] [--state-dir DIR] ...
 *   acs-controller mint-token --user NAME [--ttl SECONDS]
 *
 * With no arguments it listens with HTTPS on 127.0.0.1:8443 and keeps its
 * state in $XDG_STATE_HOME/acs-controller (~/.local/state/acs-controller):
 * a self-signed certificate (made with openssl(1) at first start) and the
 * token secret (32 random bytes), both mode 0600. See docs/controller.md.
 *
 * It runs until SIGINT or SIGTERM, then ends its event streams, closes
 * its connections and frees everything before it exits with 0. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acscontroller.h"
#include "acslog.h"

#include <acs/acstoken.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8443"
#define DEFAULT_INVITE_TIMEOUT 10
#define DEFAULT_RING_TIMEOUT 60
#define DEFAULT_ENDED_RETENTION 60
/* RFC 4028's smallest Session-Expires (Min-SE): a party whose client shows
 * no sign of life (no request on the call, no event stream) for 90 s is
 * gone; a reconnecting event stream is back within seconds */
#define DEFAULT_SESSION_EXPIRES 90
#define DEFAULT_HEARTBEAT 15
#define DEFAULT_TURN_TTL 3600
#define DEFAULT_TOKEN_TTL 3600
#define MAX_STREAMS_PER_USER 4
#define SECRET_LEN 32
#define SECRET_FILE "token-secret"
#define CERT_FILE "cert.pem"
#define KEY_FILE "key.pem"

typedef struct
{
  gchar *listen;
  gchar *state_dir;
  gchar *cert_file;
  gchar *key_file;
  gchar *secret_file;
  gchar **stun_uris;
  gchar **turn_uris;
  gchar *turn_secret;
  gchar *turn_secret_file;
  gint turn_ttl;
  gint invite_timeout;
  gint ring_timeout;
  gint ended_retention;
  gint session_expires;
  gint heartbeat;
  gchar *port_file;
  gboolean insecure_http;
  /* mint-token */
  gchar *user;
  gint ttl;
} Options;

static void
options_clear (Options * o)
{
  g_free (o->listen);
  g_free (o->state_dir);
  g_free (o->cert_file);
  g_free (o->key_file);
  g_free (o->secret_file);
  g_strfreev (o->stun_uris);
  g_strfreev (o->turn_uris);
  if (o->turn_secret)
    explicit_bzero (o->turn_secret, strlen (o->turn_secret));
  g_free (o->turn_secret);
  g_free (o->turn_secret_file);
  g_free (o->port_file);
  g_free (o->user);
}

static gboolean
ensure_state_dir (const gchar * dir, GError ** error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create state directory %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* The token key: --secret-file as it is, or the state directory's,
 * made at first start. */
static GBytes *
load_token_secret (const Options * o, GError ** error)
{
  g_autofree gchar *path = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  if (o->secret_file != NULL) {
    if (!g_file_get_contents (o->secret_file, &contents, &len, error))
      return NULL;
    if (len < SECRET_LEN) {
      explicit_bzero (contents, len);
      g_free (contents);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: the token secret must be at least %d bytes", o->secret_file,
          SECRET_LEN);
      return NULL;
    }
    return g_bytes_new_take (contents, len);
  }

  if (!ensure_state_dir (o->state_dir, error))
    return NULL;
  path = g_build_filename (o->state_dir, SECRET_FILE, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    guint8 secret[SECRET_LEN];
    gsize got = 0;

    while (got < SECRET_LEN) {
      gssize n = getrandom (secret + got, SECRET_LEN - got, 0);

      if (n > 0)
        got += n;
      else if (errno != EINTR) {
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
            "getrandom: %s", g_strerror (errno));
        return NULL;
      }
    }
    if (!g_file_set_contents_full (path, (const gchar *) secret, SECRET_LEN,
            G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
      explicit_bzero (secret, sizeof (secret));
      return NULL;
    }
    explicit_bzero (secret, sizeof (secret));
    g_message ("created a new token secret in %s", path);
  }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len < SECRET_LEN) {
    g_free (contents);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s is shorter than %d bytes", path, SECRET_LEN);
    return NULL;
  }
  return g_bytes_new_take (contents, len);
}

static void
child_umask (gpointer user_data)
{
  umask (077);
}

/* A self-signed certificate for localhost, made once with openssl(1) */
static gboolean
ensure_self_signed (const gchar * dir, gchar ** cert_file, gchar ** key_file,
    GError ** error)
{
  g_autofree gchar *cert = g_build_filename (dir, CERT_FILE, NULL);
  g_autofree gchar *key = g_build_filename (dir, KEY_FILE, NULL);
  g_autofree gchar *cert_tmp = g_strconcat (cert, ".tmp", NULL);
  g_autofree gchar *key_tmp = g_strconcat (key, ".tmp", NULL);
  g_autofree gchar *err_out = NULL;
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "825",
    "-subj", "/CN=localhost", "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
    "-keyout", key_tmp, "-out", cert_tmp, NULL
  };
  gint status;

  *cert_file = g_strdup (cert);
  *key_file = g_strdup (key);
  if (g_file_test (cert, G_FILE_TEST_EXISTS)
      && g_file_test (key, G_FILE_TEST_EXISTS))
    return TRUE;

  if (!ensure_state_dir (dir, error))
    return FALSE;
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL, child_umask, NULL, NULL, &err_out,
          &status, error)) {
    g_prefix_error (error, "cannot run openssl to make a certificate: ");
    return FALSE;
  }
  if (!g_spawn_check_wait_status (status, error)) {
    g_prefix_error (error, "openssl could not make a certificate (%s): ",
        err_out ? g_strstrip (err_out) : "");
    g_unlink (key_tmp);
    g_unlink (cert_tmp);
    return FALSE;
  }
  g_chmod (key_tmp, 0600);
  g_chmod (cert_tmp, 0600);
  if (g_rename (key_tmp, key) != 0 || g_rename (cert_tmp, cert) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot store the certificate in %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  g_message ("created a self-signed certificate in %s", cert);
  return TRUE;
}

static gboolean
parse_listen (const gchar * listen, gchar ** host, guint * port,
    GError ** error)
{
  const gchar *colon = strrchr (listen, ':');
  guint64 value;

  if (colon == NULL || colon == listen
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--listen must be ADDR:PORT (IPv6: [ADDR]:PORT), got '%s'", listen);
    return FALSE;
  }
  if (listen[0] == '[' && colon[-1] == ']')
    *host = g_strndup (listen + 1, colon - listen - 2);
  else
    *host = g_strndup (listen, colon - listen);
  *port = value;
  return TRUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
write_port_file (const gchar * path, guint port, GError ** error)
{
  g_autofree gchar *text = g_strdup_printf ("%u\n", port);

  return g_file_set_contents (path, text, -1, error);
}

static int
run_server (Options * o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) secret = NULL;
  g_autoptr (GBytes) turn_secret = NULL;
  g_autoptr (GTlsCertificate) cert = NULL;
  g_autofree gchar *host = NULL;
  g_autofree gchar *cert_file = NULL, *key_file = NULL;
  AcsControllerConfig config = { 0, };
  AcsController *controller;
  GMainLoop *loop;
  guint port = 0, sigterm, sigint;

  acs_log_install ();
  if (!parse_listen (o->listen, &host, &port, &error))
    goto fail;
  if (o->invite_timeout <= 0 || o->ring_timeout <= 0 || o->heartbeat <= 0
      || o->ended_retention < 0 || o->session_expires < 0 || o->turn_ttl <= 0) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "timeouts, intervals and TTLs must be positive");
    goto fail;
  }
  if ((o->cert_file == NULL) != (o->key_file == NULL)) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--cert and --key go together");
    goto fail;
  }
  if (o->turn_uris != NULL && o->turn_secret == NULL
      && o->turn_secret_file == NULL) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--turn-uri needs --turn-secret or --turn-secret-file");
    goto fail;
  }

  if (!(secret = load_token_secret (o, &error)))
    goto fail;
  if (o->turn_secret_file != NULL) {
    gchar *contents;
    gsize len;

    if (!g_file_get_contents (o->turn_secret_file, &contents, &len, &error))
      goto fail;
    /* coturn's static-auth-secret is one line of text */
    while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
      len--;
    turn_secret = g_bytes_new_take (contents, len);
  } else if (o->turn_secret != NULL) {
    turn_secret = g_bytes_new (o->turn_secret, strlen (o->turn_secret));
  }

  if (!o->insecure_http) {
    if (o->cert_file != NULL) {
      cert_file = g_strdup (o->cert_file);
      key_file = g_strdup (o->key_file);
    } else if (!ensure_self_signed (o->state_dir, &cert_file, &key_file,
            &error)) {
      goto fail;
    }
    if (!(cert = g_tls_certificate_new_from_files (cert_file, key_file,
                &error))) {
      g_prefix_error (&error, "%s: ", cert_file);
      goto fail;
    }
  } else {
    g_warning ("serving plain HTTP (--insecure-http): tokens and SDES keys "
        "travel in clear; for local debugging only");
  }

  config.listen_address = host;
  config.listen_port = port;
  config.tls_certificate = cert;
  config.insecure_http = o->insecure_http;
  config.token_secret = secret;
  config.stun_uris = (const gchar * const *) o->stun_uris;
  config.turn_uris = (const gchar * const *) o->turn_uris;
  config.turn_secret = turn_secret;
  config.turn_ttl = o->turn_ttl;
  config.invite_timeout_ms = o->invite_timeout * 1000;
  config.ring_timeout_ms = o->ring_timeout * 1000;
  config.ended_retention_ms = o->ended_retention * 1000;
  config.session_expires_ms = o->session_expires * 1000;
  config.heartbeat_ms = o->heartbeat * 1000;
  config.max_streams_per_user = MAX_STREAMS_PER_USER;

  loop = g_main_loop_new (NULL, FALSE);
  controller = acs_controller_new (&config);
  if (!acs_controller_start (controller, &port, &error)) {
    acs_controller_free (controller);
    g_main_loop_unref (loop);
    goto fail;
  }
  if (o->port_file != NULL && !write_port_file (o->port_file, port, &error)) {
    acs_controller_free (controller);
    g_main_loop_unref (loop);
    goto fail;
  }
  g_message ("listening on %s://%s:%u", o->insecure_http ? "http" : "https",
      host, port);

  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_main_loop_run (loop);
  g_message ("shutting down");
  g_source_remove (sigterm);
  g_source_remove (sigint);

  acs_controller_free (controller);
  g_main_loop_unref (loop);
  return 0;

fail:
  acs_log_flush ();
  g_printerr ("acs-controller: %s\n", error->message);
  return 1;
}

static int
mint_token (Options * o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) secret = NULL;
  g_autofree gchar *token = NULL;
  const gchar *scope[] = { "call", NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize len;
  const guint8 *data;

  if (!acs_token_user_is_valid (o->user)) {
    g_printerr ("acs-controller: mint-token needs --user NAME, 1-64 "
        "characters of [A-Za-z0-9._@+-]\n");
    return 1;
  }
  if (o->ttl <= 0) {
    g_printerr ("acs-controller: --ttl must be positive\n");
    return 1;
  }
  if (!(secret = load_token_secret (o, &error))) {
    g_printerr ("acs-controller: %s\n", error->message);
    return 1;
  }
  data = g_bytes_get_data (secret, &len);
  token = acs_token_sign (data, len, o->user, scope, now, now + o->ttl);
  g_print ("%s\n", token);
  return 0;
}

int
main (int argc, char **argv)
{
  Options o = { 0, };
  gboolean mint = argc > 1 && strcmp (argv[1], "mint-token") == 0;
  GOptionEntry common_entries[] = {
    {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.state_dir,
        "Directory of the generated certificate and token secret "
          "(default $XDG_STATE_HOME/acs-controller)", "DIR"},
    {"secret-file", 0, 0, G_OPTION_ARG_FILENAME, &o.secret_file,
        "File holding the token signing key, at least 32 bytes "
          "(default: generated in the state directory)", "FILE"},
    {NULL}
  };
  GOptionEntry server_entries[] = {
    {"listen", 0, 0, G_OPTION_ARG_STRING, &o.listen,
        "Address and port to listen on; port 0 picks a free one (default "
          DEFAULT_LISTEN ")", "ADDR:PORT"},
    {"cert", 0, 0, G_OPTION_ARG_FILENAME, &o.cert_file,
        "PEM certificate (chain) to serve, with --key (default: "
          "self-signed, generated in the state directory)", "FILE"},
    {"key", 0, 0, G_OPTION_ARG_FILENAME, &o.key_file,
        "PEM private key of --cert", "FILE"},
    {"stun-uri", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.stun_uris,
        "STUN server handed out by /v1/ice-servers (repeatable)", "URI"},
    {"turn-uri", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.turn_uris,
        "TURN server handed out with credentials (repeatable)", "URI"},
    {"turn-secret", 0, 0, G_OPTION_ARG_STRING, &o.turn_secret,
        "coturn's static-auth-secret (visible in ps; prefer "
          "--turn-secret-file)", "SECRET"},
    {"turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &o.turn_secret_file,
        "File holding coturn's static-auth-secret", "FILE"},
    {"turn-ttl", 0, 0, G_OPTION_ARG_INT, &o.turn_ttl,
        "Lifetime of TURN credentials in seconds (default 3600)", "SECONDS"},
    {"invite-timeout", 0, 0, G_OPTION_ARG_INT, &o.invite_timeout,
        "Seconds a call may stay in 'calling' before it ends with 408 "
          "(default 10)", "SECONDS"},
    {"ring-timeout", 0, 0, G_OPTION_ARG_INT, &o.ring_timeout,
          "Seconds a call may ring before it ends with 480 (default 60)",
        "SECONDS"},
    {"ended-retention", 0, 0, G_OPTION_ARG_INT, &o.ended_retention,
        "Seconds an ended call is kept (default 60)", "SECONDS"},
    {"session-expires", 0, 0, G_OPTION_ARG_INT, &o.session_expires,
        "Seconds an active call lasts without a sign of life from a party "
          "(request on the call, open event stream) before it ends with "
          "408; 0 never (default 90)", "SECONDS"},
    {"heartbeat-interval", 0, 0, G_OPTION_ARG_INT, &o.heartbeat,
        "Seconds between event stream heartbeats (default 15)", "SECONDS"},
    {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &o.port_file,
        "Write the port listened on to FILE", "FILE"},
    {"insecure-http", 0, 0, G_OPTION_ARG_NONE, &o.insecure_http,
        "Serve plain HTTP, for local debugging only", NULL},
    {NULL}
  };
  GOptionEntry mint_entries[] = {
    {"user", 0, 0, G_OPTION_ARG_STRING, &o.user,
        "User identity (the token's subject)", "NAME"},
    {"ttl", 0, 0, G_OPTION_ARG_INT, &o.ttl,
        "Lifetime in seconds (default 3600)", "SECONDS"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int ret;

  o.turn_ttl = DEFAULT_TURN_TTL;
  o.invite_timeout = DEFAULT_INVITE_TIMEOUT;
  o.ring_timeout = DEFAULT_RING_TIMEOUT;
  o.ended_retention = DEFAULT_ENDED_RETENTION;
  o.session_expires = DEFAULT_SESSION_EXPIRES;
  o.heartbeat = DEFAULT_HEARTBEAT;
  o.ttl = DEFAULT_TOKEN_TTL;

  if (mint) {
    ctx = g_option_context_new ("mint-token - print a token for a user");
    g_option_context_add_main_entries (ctx, mint_entries, NULL);
  } else {
    ctx = g_option_context_new ("- gst-acs signaling controller\n\n"
        "  acs-controller mint-token --user NAME [--ttl SECONDS]");
    g_option_context_add_main_entries (ctx, server_entries, NULL);
  }
  g_option_context_add_main_entries (ctx, common_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("acs-controller: %s\n", error->message);
    options_clear (&o);
    return 2;
  }
  if (argc > (mint ? 2 : 1)) {
    g_printerr ("acs-controller: unexpected argument '%s'\n",
        argv[mint ? 2 : 1]);
    options_clear (&o);
    return 2;
  }
  if (o.listen == NULL)
    o.listen = g_strdup (DEFAULT_LISTEN);
  if (o.state_dir == NULL)
    o.state_dir = g_build_filename (g_get_user_state_dir (), "acs-controller",
        NULL);

  ret = mint ? mint_token (&o) : run_server (&o);
  options_clear (&o);
  return ret;
}
