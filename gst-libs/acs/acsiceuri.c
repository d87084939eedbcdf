/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: STUN and TURN server URIs (RFC 7064, RFC 7065)
 *
 * TURN credentials are secret: error messages and
 * acs_ice_server_to_safe_string() never include them. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsiceuri.h"
#include "acserror.h"
#include "acssdes.h"

#include <string.h>

/**
 * acs_ice_server_parse:
 * @uri: `stun:host[:port]`, `turn:[user:password@]host[:port][?transport=udp|tcp]`
 *   or `turns:...`; the `//` after the scheme is optional, as webrtcbin
 *   writes `stun://host:port` and RFC 7064 `stun:host:port`. User and
 *   password are percent-decoded (TURN REST user names hold ':', passwords
 *   '/', '+' and '=').
 * @error: (nullable): return location for an #ACS_ERROR
 *
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set.
 */
AcsIceServer *
acs_ice_server_parse (const gchar * uri, GError ** error)
{
  g_autoptr (GUri) guri = NULL;
  g_autoptr (AcsIceServer) server = NULL;
  g_autofree gchar *normalized = NULL;
  g_autoptr (GError) uri_error = NULL;
  const gchar *scheme, *colon, *query;
  gboolean secure = FALSE;
  gint port;

  g_return_val_if_fail (uri != NULL, NULL);

  colon = strchr (uri, ':');
  if (colon == NULL) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "ICE server URI has no scheme (stun:, turn: or turns:)");
    return NULL;
  }
  if (g_str_has_prefix (colon + 1, "//"))
    normalized = g_strdup (uri);
  else
    normalized = g_strdup_printf ("%.*s://%s", (int) (colon - uri), uri,
        colon + 1);

  guri = g_uri_parse (normalized, G_URI_FLAGS_HAS_PASSWORD |
      G_URI_FLAGS_NON_DNS, &uri_error);
  if (guri == NULL) {
    /* GLib's message quotes the URI, credentials included: do not pass it on */
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "ICE server URI is malformed");
    return NULL;
  }

  server = g_new0 (AcsIceServer, 1);
  scheme = g_uri_get_scheme (guri);
  if (g_ascii_strcasecmp (scheme, "stun") == 0) {
    server->kind = ACS_ICE_SERVER_STUN;
  } else if (g_ascii_strcasecmp (scheme, "turn") == 0) {
    server->kind = ACS_ICE_SERVER_TURN;
  } else if (g_ascii_strcasecmp (scheme, "turns") == 0) {
    server->kind = ACS_ICE_SERVER_TURN;
    secure = TRUE;
  } else {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "ICE server URI scheme '%s' is not stun, turn or turns", scheme);
    return NULL;
  }

  if (g_uri_get_host (guri) == NULL || *g_uri_get_host (guri) == '\0') {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "ICE server URI has no host");
    return NULL;
  }
  server->host = g_strdup (g_uri_get_host (guri));

  port = g_uri_get_port (guri);
  if (port == -1)
    port = secure ? 5349 : 3478;
  if (port <= 0 || port > 65535) {
    g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
        "ICE server URI port %d is out of range", port);
    return NULL;
  }
  server->port = port;

  server->transport = secure ? ACS_ICE_SERVER_TRANSPORT_TLS :
      ACS_ICE_SERVER_TRANSPORT_UDP;
  query = g_uri_get_query (guri);
  if (query) {
    g_autoptr (GHashTable) params = g_uri_parse_params (query, -1, "&",
        G_URI_PARAMS_CASE_INSENSITIVE, NULL);
    const gchar *transport = params ? g_hash_table_lookup (params,
        "transport") : NULL;

    if (params == NULL || transport == NULL) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "ICE server URI query must be transport=udp or transport=tcp");
      return NULL;
    }
    if (g_ascii_strcasecmp (transport, "tcp") == 0) {
      if (!secure)
        server->transport = ACS_ICE_SERVER_TRANSPORT_TCP;
    } else if (g_ascii_strcasecmp (transport, "udp") == 0 && !secure) {
      server->transport = ACS_ICE_SERVER_TRANSPORT_UDP;
    } else {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "ICE server URI transport '%s' is not udp or tcp%s", transport,
          secure ? " (turns: runs over TCP)" : "");
      return NULL;
    }
  }

  if (server->kind == ACS_ICE_SERVER_STUN) {
    if (g_uri_get_user (guri) || query) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "STUN server URI takes neither credentials nor a transport");
      return NULL;
    }
  } else {
    if (g_uri_get_user (guri) == NULL || g_uri_get_password (guri) == NULL) {
      g_set_error (error, ACS_ERROR, ACS_ERROR_INVALID_ARGUMENT,
          "TURN server URI needs user:password@ before the host");
      return NULL;
    }
    server->user = g_strdup (g_uri_get_user (guri));
    server->password = g_strdup (g_uri_get_password (guri));
  }

  return g_steal_pointer (&server);
}

/**
 * acs_ice_server_copy:
 * @server: a server
 *
 * Returns: (transfer full): a deep copy of @server.
 */
AcsIceServer *
acs_ice_server_copy (const AcsIceServer * server)
{
  AcsIceServer *copy = g_new0 (AcsIceServer, 1);

  *copy = *server;
  copy->host = g_strdup (server->host);
  copy->user = g_strdup (server->user);
  copy->password = g_strdup (server->password);
  return copy;
}

/**
 * acs_ice_server_free:
 * @server: (nullable) (transfer full): a server; its password is wiped
 */
void
acs_ice_server_free (AcsIceServer * server)
{
  if (server == NULL)
    return;
  g_free (server->host);
  g_free (server->user);
  if (server->password)
    acs_secret_free (server->password, strlen (server->password));
  g_free (server);
}

/**
 * acs_ice_server_transport_to_string:
 * @t: a transport
 *
 * Returns: (transfer none): `udp`, `tcp` or `tls`.
 */
const gchar *
acs_ice_server_transport_to_string (AcsIceServerTransport t)
{
  switch (t) {
    case ACS_ICE_SERVER_TRANSPORT_TCP:
      return "tcp";
    case ACS_ICE_SERVER_TRANSPORT_TLS:
      return "tls";
    case ACS_ICE_SERVER_TRANSPORT_UDP:
    default:
      return "udp";
  }
}

/**
 * acs_ice_server_to_safe_string:
 * @server: a server
 *
 * Returns: (transfer full): the server as a URI without its credentials,
 *   fit for logs and error messages.
 */
gchar *
acs_ice_server_to_safe_string (const AcsIceServer * server)
{
  gboolean v6 = strchr (server->host, ':') != NULL;

  if (server->kind == ACS_ICE_SERVER_STUN)
    return g_strdup_printf ("stun://%s%s%s:%u", v6 ? "[" : "", server->host,
        v6 ? "]" : "", server->port);
  return g_strdup_printf ("%s://%s%s%s:%u?transport=%s",
      server->transport == ACS_ICE_SERVER_TRANSPORT_TLS ? "turns" : "turn",
      v6 ? "[" : "", server->host, v6 ? "]" : "", server->port,
      server->transport == ACS_ICE_SERVER_TRANSPORT_UDP ? "udp" : "tcp");
}
