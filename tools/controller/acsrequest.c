/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: reading request bodies, API errors
 *
 * Everything a client sends goes through here before it can touch a
 * call: acs_request_parse_body() (the fuzz target's entry point) turns
 * the bytes into a JSON object, the acs_request_get_*() functions check
 * the fields of each request and acs_sdp_check() the session
 * descriptions, with GstSDPMessage. Messages name fields, never quote
 * values: they may hold keys. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acsrequest.h"

#include "acsjson.h"

#include <acs/acstoken.h>
#include <gst/sdp/sdp.h>

#include <string.h>

#define MAX_JSON_DEPTH 32

/**
 * acs_api_error_new:
 * @status: the HTTP status
 * @code: the error code
 * @field: (nullable): the field at fault
 * @format: printf format of the message
 * @...: its arguments
 *
 * Returns: (transfer full): a new error.
 */
AcsApiError *
acs_api_error_new (guint status, const gchar * code, const gchar * field,
    const gchar * format, ...)
{
  AcsApiError *error = g_new0 (AcsApiError, 1);
  va_list args;

  error->status = status;
  error->code = g_strdup (code);
  error->field = g_strdup (field);
  va_start (args, format);
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
  return error;
}

/**
 * acs_api_error_free:
 * @error: (transfer full) (nullable): an error
 *
 * Frees @error.
 */
void
acs_api_error_free (AcsApiError * error)
{
  if (error == NULL)
    return;
  g_free (error->code);
  g_free (error->message);
  g_free (error->field);
  g_free (error);
}

/**
 * acs_api_error_to_json:
 * @error: an error
 *
 * Returns: (transfer full): the error body of docs/protocol.md section 2.
 */
gchar *
acs_api_error_to_json (const AcsApiError * error)
{
  GString *s = g_string_sized_new (128);

  acs_json_append_literal (s, "{\"error\":{\"status\":");
  acs_json_append_int (s, error->status);
  acs_json_append_literal (s, ",\"code\":");
  acs_json_append_string_or_null (s, error->code);
  acs_json_append_literal (s, ",\"message\":");
  acs_json_append_string_or_null (s, error->message);
  if (error->field != NULL) {
    acs_json_append_literal (s, ",\"field\":");
    acs_json_append_string (s, error->field);
  }
  acs_json_append_literal (s, "}}");
  return g_string_free (s, FALSE);
}

static gboolean
content_type_is_json (const gchar * content_type)
{
  gsize n = strlen ("application/json");

  if (content_type == NULL)
    return FALSE;
  while (*content_type == ' ')
    content_type++;
  if (g_ascii_strncasecmp (content_type, "application/json", n) != 0)
    return FALSE;
  content_type += n;
  while (*content_type == ' ')
    content_type++;
  return *content_type == '\0' || *content_type == ';';
}

/* A cheap scan before json-glib's parser sees the body: the body must
 * be one value that starts with '{' and ends with its closing '}', and
 * nest at most MAX_JSON_DEPTH deep. json-glib 1.6 recurses once per
 * nesting level and leaks the values it read when more follow the first
 * one, so such bodies never reach it. Strings are skipped; the parser
 * checks everything else. */
static gboolean
json_shape_ok (const gchar * data, gsize len)
{
  gboolean in_string = FALSE, escaped = FALSE;
  guint depth = 0;
  gsize i = 0;

  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len || data[i] != '{')
    return FALSE;
  for (; i < len; i++) {
    gchar c = data[i];

    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > MAX_JSON_DEPTH)
        return FALSE;
    } else if (c == ']' || c == '}') {
      if (depth == 0 || --depth == 0)
        break;
    }
  }
  if (i == len)
    return FALSE;
  for (i++; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

/**
 * acs_request_parse_body:
 * @content_type: (nullable): the request's Content-Type, without
 *   parameters or with
 * @data: (array length=len) (nullable): the body
 * @len: length of @data
 * @error: (out) (optional) (transfer full): the API error
 *
 * Reads a request body: empty (an empty object), or a UTF-8 JSON object
 * of at most #ACS_REQUEST_MAX_BODY bytes sent as `application/json`.
 *
 * Returns: (transfer full) (nullable): the object, or %NULL with @error set.
 */
JsonObject *
acs_request_parse_body (const gchar * content_type, const gchar * data,
    gsize len, AcsApiError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (len == 0)
    return json_object_new ();
  if (len > ACS_REQUEST_MAX_BODY) {
    if (error)
      *error = acs_api_error_new (413, "too_large", NULL,
          "the body is larger than %u bytes", ACS_REQUEST_MAX_BODY);
    return NULL;
  }
  if (!content_type_is_json (content_type)) {
    if (error)
      *error = acs_api_error_new (415, "unsupported_media_type", NULL,
          "the body must be application/json");
    return NULL;
  }
  if (!g_utf8_validate (data, len, NULL) || memchr (data, '\0', len) != NULL) {
    if (error)
      *error = acs_api_error_new (400, "invalid_json", NULL,
          "the body is not UTF-8 text");
    return NULL;
  }
  if (!json_shape_ok (data, len)) {
    if (error)
      *error = acs_api_error_new (400, "invalid_json", NULL,
          "the body is not one JSON object nested at most %d deep",
          MAX_JSON_DEPTH);
    return NULL;
  }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, NULL)) {
    if (error)
      *error = acs_api_error_new (400, "invalid_json", NULL,
          "the body is not valid JSON");
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    if (error)
      *error = acs_api_error_new (400, "invalid_json", NULL,
          "the body is not a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

typedef enum
{
  FIELD_STRING,
  FIELD_OBJECT,
  FIELD_INT,
  FIELD_BOOLEAN,
} FieldType;

static const gchar *
field_type_name (FieldType type)
{
  switch (type) {
    case FIELD_STRING:
      return "a string";
    case FIELD_OBJECT:
      return "an object";
    case FIELD_INT:
      return "an integer";
    case FIELD_BOOLEAN:
      return "a boolean";
  }
  return "?";
}

/* The member @name of @obj if it has @type; %NULL with *error unset when
 * it is absent and optional. */
static JsonNode *
get_field (JsonObject * obj, const gchar * path, const gchar * name,
    FieldType type, gboolean required, AcsApiError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);
  gboolean ok = FALSE;

  if (node == NULL) {
    if (required)
      *error = acs_api_error_new (400, "missing_field", path,
          "field '%s' is required", path);
    return NULL;
  }
  switch (type) {
    case FIELD_OBJECT:
      ok = JSON_NODE_HOLDS_OBJECT (node);
      break;
    case FIELD_STRING:
      ok = JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING;
      break;
    case FIELD_INT:
      ok = JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_INT64;
      break;
    case FIELD_BOOLEAN:
      ok = JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
      break;
  }
  if (!ok) {
    *error = acs_api_error_new (400, "invalid_field", path,
        "field '%s' must be %s", path, field_type_name (type));
    return NULL;
  }
  return node;
}

/**
 * acs_sdp_check:
 * @sdp: (array length=len): a session description
 * @len: length of @sdp
 * @field: the field it came in, for the error
 * @error: (out) (optional) (transfer full): the API error
 *
 * Checks that @sdp is at most #ACS_REQUEST_MAX_SDP bytes, parses with
 * GstSDPMessage as version 0, has at least one m= line that is not
 * rejected (port 0) and, for every such line, ICE credentials
 * (`a=ice-ufrag`, `a=ice-pwd`, at session or media level) and an SDES key
 * (`a=crypto`). A rejected line needs neither.
 *
 * Returns: whether @sdp is acceptable.
 */
gboolean
acs_sdp_check (const gchar * sdp, gsize len, const gchar * field,
    AcsApiError ** error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  const gchar *s_ufrag, *s_pwd;
  guint i, active = 0;

  if (len > ACS_REQUEST_MAX_SDP) {
    if (error)
      *error = acs_api_error_new (413, "too_large", field,
          "field '%s' is larger than %u bytes", field, ACS_REQUEST_MAX_SDP);
    return FALSE;
  }
  if (memchr (sdp, '\0', len) != NULL || gst_sdp_message_new (&msg) !=
      GST_SDP_OK || gst_sdp_message_parse_buffer ((const guint8 *) sdp, len,
          msg) != GST_SDP_OK || g_strcmp0 (gst_sdp_message_get_version (msg),
          "0") != 0) {
    if (error)
      *error = acs_api_error_new (400, "invalid_sdp", field,
          "field '%s' is not an SDP session description", field);
    return FALSE;
  }
  if (gst_sdp_message_medias_len (msg) == 0) {
    if (error)
      *error = acs_api_error_new (400, "invalid_sdp", field,
          "field '%s' has no m= line", field);
    return FALSE;
  }
  s_ufrag = gst_sdp_message_get_attribute_val (msg, "ice-ufrag");
  s_pwd = gst_sdp_message_get_attribute_val (msg, "ice-pwd");
  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    const gchar *ufrag = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
    const gchar *pwd = gst_sdp_media_get_attribute_val (media, "ice-pwd");
    const gchar *crypto = gst_sdp_media_get_attribute_val (media, "crypto");

    /* A rejected line (port 0, RFC 3264 section 6) carries no transport:
     * it needs neither ICE credentials nor a key */
    if (gst_sdp_media_get_port (media) == 0)
      continue;
    active++;

    if (ufrag == NULL)
      ufrag = s_ufrag;
    if (pwd == NULL)
      pwd = s_pwd;
    if (ufrag == NULL || *ufrag == '\0' || pwd == NULL || *pwd == '\0') {
      if (error)
        *error = acs_api_error_new (400, "invalid_sdp", field,
            "field '%s': m= line %u has no ICE credentials "
            "(a=ice-ufrag, a=ice-pwd)", field, i);
      return FALSE;
    }
    if (crypto == NULL || *crypto == '\0') {
      if (error)
        *error = acs_api_error_new (400, "invalid_sdp", field,
            "field '%s': m= line %u has no SDES key (a=crypto)", field, i);
      return FALSE;
    }
  }
  if (active == 0) {
    if (error)
      *error = acs_api_error_new (400, "invalid_sdp", field,
          "field '%s': every m= line is rejected (port 0)", field);
    return FALSE;
  }
  return TRUE;
}

/**
 * acs_request_get_description:
 * @body: a request body
 * @member: `offer` or `answer`
 * @sdp: (out) (transfer full): the SDP
 * @error: (out) (optional) (transfer full): the API error
 *
 * Reads `{"<member>": {"sdp": "..."}}` and checks the SDP.
 *
 * Returns: whether the description is there and acceptable.
 */
gboolean
acs_request_get_description (JsonObject * body, const gchar * member,
    gchar ** sdp, AcsApiError ** error)
{
  g_autofree gchar *sdp_path = g_strconcat (member, ".sdp", NULL);
  AcsApiError *err = NULL;
  JsonNode *node;
  const gchar *text;

  node = get_field (body, member, member, FIELD_OBJECT, TRUE, &err);
  if (node != NULL)
    node = get_field (json_node_get_object (node), sdp_path, "sdp",
        FIELD_STRING, TRUE, &err);
  if (node == NULL)
    goto fail;
  text = json_node_get_string (node);
  if (!acs_sdp_check (text, strlen (text), sdp_path, &err))
    goto fail;
  *sdp = g_strdup (text);
  return TRUE;

fail:
  if (error)
    *error = err;
  else
    acs_api_error_free (err);
  return FALSE;
}

/**
 * acs_request_get_place:
 * @body: the body of `POST /v1/calls`
 * @place: (out caller-allocates): the fields, cleared with
 *   acs_place_request_clear()
 * @error: (out) (optional) (transfer full): the API error
 *
 * Returns: whether the request is well formed.
 */
gboolean
acs_request_get_place (JsonObject * body, AcsPlaceRequest * place,
    AcsApiError ** error)
{
  AcsApiError *err = NULL;
  JsonNode *node;
  JsonObject *to;
  const gchar *s;

  memset (place, 0, sizeof (*place));

  node = get_field (body, "kind", "kind", FIELD_STRING, FALSE, &err);
  if (err != NULL)
    goto fail;
  s = node ? json_node_get_string (node) : "one-to-one";
  if (g_strcmp0 (s, "one-to-one") != 0) {
    err = acs_api_error_new (400, "invalid_field", "kind",
        "field 'kind' must be 'one-to-one' in this version");
    goto fail;
  }
  place->kind = g_strdup (s);

  node = get_field (body, "to", "to", FIELD_OBJECT, TRUE, &err);
  if (node == NULL)
    goto fail;
  to = json_node_get_object (node);
  if (!json_object_has_member (to, "user")
      && (json_object_has_member (to, "phone")
          || json_object_has_member (to, "media_processor"))) {
    err = acs_api_error_new (400, "invalid_field", "to",
        "field 'to' must be a user in this version");
    goto fail;
  }
  node = get_field (to, "to.user", "user", FIELD_STRING, TRUE, &err);
  if (node == NULL)
    goto fail;
  if (!acs_token_user_is_valid (json_node_get_string (node))) {
    err = acs_api_error_new (400, "invalid_field", "to.user",
        "field 'to.user' must be 1-64 characters of [A-Za-z0-9._@+-]");
    goto fail;
  }
  place->to_user = g_strdup (json_node_get_string (node));

  if (!acs_request_get_description (body, "offer", &place->offer_sdp, &err))
    goto fail;
  return TRUE;

fail:
  acs_place_request_clear (place);
  if (error)
    *error = err;
  else
    acs_api_error_free (err);
  return FALSE;
}

/**
 * acs_place_request_clear:
 * @place: a place request
 *
 * Frees the fields of @place.
 */
void
acs_place_request_clear (AcsPlaceRequest * place)
{
  g_clear_pointer (&place->kind, g_free);
  g_clear_pointer (&place->to_user, g_free);
  g_clear_pointer (&place->offer_sdp, g_free);
}

/**
 * acs_request_get_decline:
 * @body: the body of `POST /v1/calls/{id}/decline`
 * @action: (out): the decline action of the reason
 * @error: (out) (optional) (transfer full): the API error
 *
 * Returns: whether the reason is absent (`decline`) or known.
 */
gboolean
acs_request_get_decline (JsonObject * body, AcsCallAction * action,
    AcsApiError ** error)
{
  AcsApiError *err = NULL;
  JsonNode *node;
  const gchar *reason;

  node = get_field (body, "reason", "reason", FIELD_STRING, FALSE, &err);
  if (err != NULL)
    goto fail;
  reason = node ? json_node_get_string (node) : "decline";
  if (strcmp (reason, "busy") == 0) {
    *action = ACS_CALL_ACTION_DECLINE_BUSY;
  } else if (strcmp (reason, "decline") == 0) {
    *action = ACS_CALL_ACTION_DECLINE;
  } else if (strcmp (reason, "unavailable") == 0) {
    *action = ACS_CALL_ACTION_DECLINE_UNAVAILABLE;
  } else {
    err = acs_api_error_new (400, "invalid_field", "reason",
        "field 'reason' must be 'busy', 'decline' or 'unavailable'");
    goto fail;
  }
  return TRUE;

fail:
  if (error)
    *error = err;
  else
    acs_api_error_free (err);
  return FALSE;
}

/**
 * acs_request_get_candidate:
 * @body: the body of `POST /v1/calls/{id}/candidates`
 * @candidate: (out caller-allocates): the fields, cleared with
 *   acs_candidate_request_clear()
 * @error: (out) (optional) (transfer full): the API error
 *
 * Reads `{"candidate": "candidate:...", "mline_index": 0}` or
 * `{"end_of_candidates": true}`.
 *
 * Returns: whether the request is well formed.
 */
gboolean
acs_request_get_candidate (JsonObject * body, AcsCandidateRequest * candidate,
    AcsApiError ** error)
{
  AcsApiError *err = NULL;
  JsonNode *node;
  const gchar *line;
  gint64 index;

  memset (candidate, 0, sizeof (*candidate));

  node = get_field (body, "end_of_candidates", "end_of_candidates",
      FIELD_BOOLEAN, FALSE, &err);
  if (err != NULL)
    goto fail;
  if (node != NULL && json_node_get_boolean (node)) {
    if (json_object_has_member (body, "candidate")) {
      err = acs_api_error_new (400, "invalid_field", "end_of_candidates",
          "give either 'candidate' or 'end_of_candidates'");
      goto fail;
    }
    candidate->end_of_candidates = TRUE;
    return TRUE;
  }

  node = get_field (body, "candidate", "candidate", FIELD_STRING, TRUE, &err);
  if (node == NULL)
    goto fail;
  line = json_node_get_string (node);
  if (!g_str_has_prefix (line, "candidate:")
      || strlen (line) > ACS_REQUEST_MAX_CANDIDATE
      || strpbrk (line, "\r\n") != NULL) {
    err = acs_api_error_new (400, "invalid_field", "candidate",
        "field 'candidate' must be one line starting with 'candidate:', "
        "at most %d bytes", ACS_REQUEST_MAX_CANDIDATE);
    goto fail;
  }
  node = get_field (body, "mline_index", "mline_index", FIELD_INT, TRUE, &err);
  if (node == NULL)
    goto fail;
  index = json_node_get_int (node);
  if (index < 0 || index > 255) {
    err = acs_api_error_new (400, "invalid_field", "mline_index",
        "field 'mline_index' must be 0-255");
    goto fail;
  }
  candidate->candidate = g_strdup (line);
  candidate->mline_index = index;
  return TRUE;

fail:
  if (error)
    *error = err;
  else
    acs_api_error_free (err);
  return FALSE;
}

/**
 * acs_request_get_candidates:
 * @body: the body of `POST /v1/calls/{id}/candidates`
 * @error: (out) (optional) (transfer full): why it is refused
 *
 * Reads one candidate (`{"candidate": ..., "mline_index": ...}`), the end
 * of candidates (`{"end_of_candidates": true}`), or a batch of them:
 * `{"candidates": [{"candidate": ..., "mline_index": ...}, ...]}` with an
 * optional `"end_of_candidates": true` after the last. Every entry is
 * checked before any is returned: a refused batch is refused whole.
 *
 * Returns: (transfer full) (nullable) (element-type AcsCandidateRequest):
 *   the candidates in order, an end of candidates last; %NULL when
 *   refused. Free with g_array_unref(); the array clears its elements.
 */
GArray *
acs_request_get_candidates (JsonObject * body, AcsApiError ** error)
{
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE,
      sizeof (AcsCandidateRequest));
  AcsApiError *err = NULL;
  AcsCandidateRequest c;
  JsonNode *node, *eoc;
  JsonArray *list;
  guint i, n;

  g_array_set_clear_func (out, (GDestroyNotify) acs_candidate_request_clear);
  if (!json_object_has_member (body, "candidates")) {
    if (!acs_request_get_candidate (body, &c, error))
      return NULL;
    g_array_append_val (out, c);
    return g_steal_pointer (&out);
  }

  node = json_object_get_member (body, "candidates");
  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    err = acs_api_error_new (400, "invalid_field", "candidates",
        "field 'candidates' must be an array");
    goto fail;
  }
  if (json_object_has_member (body, "candidate")) {
    err = acs_api_error_new (400, "invalid_field", "candidates",
        "give either 'candidate' or 'candidates'");
    goto fail;
  }
  eoc = get_field (body, "end_of_candidates", "end_of_candidates",
      FIELD_BOOLEAN, FALSE, &err);
  if (err != NULL)
    goto fail;
  list = json_node_get_array (node);
  n = json_array_get_length (list);
  if (n > ACS_REQUEST_MAX_BATCH || (n == 0 && (eoc == NULL
              || !json_node_get_boolean (eoc)))) {
    err = acs_api_error_new (400, "invalid_field", "candidates",
        "field 'candidates' must hold 1-%d candidates (0 with "
        "'end_of_candidates')", ACS_REQUEST_MAX_BATCH);
    goto fail;
  }
  for (i = 0; i < n; i++) {
    JsonNode *item = json_array_get_element (list, i);

    if (!JSON_NODE_HOLDS_OBJECT (item)
        || json_object_has_member (json_node_get_object (item),
            "end_of_candidates")) {
      err = acs_api_error_new (400, "invalid_field", "candidates",
          "each of 'candidates' must be an object with 'candidate' and "
          "'mline_index'");
      goto fail;
    }
    if (!acs_request_get_candidate (json_node_get_object (item), &c, &err)) {
      gchar *field = g_strdup_printf ("candidates[%u].%s", i,
          err->field ? err->field : "");

      g_free (err->field);
      err->field = field;
      goto fail;
    }
    g_array_append_val (out, c);
  }
  if (eoc != NULL && json_node_get_boolean (eoc)) {
    memset (&c, 0, sizeof (c));
    c.end_of_candidates = TRUE;
    g_array_append_val (out, c);
  }
  return g_steal_pointer (&out);

fail:
  if (error)
    *error = err;
  else
    acs_api_error_free (err);
  return NULL;
}

/**
 * acs_candidate_request_clear:
 * @candidate: a candidate request
 *
 * Frees the fields of @candidate.
 */
void
acs_candidate_request_clear (AcsCandidateRequest * candidate)
{
  g_clear_pointer (&candidate->candidate, g_free);
}
