/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-acs: libFuzzer target for acs-controller's request bodies
 *
 * The first byte picks the request (place a call, answer, decline,
 * trickle a candidate, or a bare SDP check); the rest is the body given
 * to acs_request_parse_body() as application/json, then to the request's
 * field reader, exactly as the HTTP layer does. Every refusal must come
 * with a 4xx error naming a code, every acceptance without one. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acsrequest.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
fail (const gchar * what)
{
  fprintf (stderr, "request_fuzzer: %s\n", what);
  abort ();
}

static void
check_refusal (AcsApiError * error)
{
  g_autofree gchar *json = NULL;

  if (error == NULL || error->code == NULL || error->message == NULL)
    fail ("a refusal without an error");
  if (error->status < 400 || error->status > 499)
    fail ("a refusal that is not a 4xx");
  json = acs_api_error_to_json (error);
  if (json == NULL || strstr (json, "\"error\"") == NULL)
    fail ("an error body without 'error'");
  acs_api_error_free (error);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  AcsApiError *error = NULL;
  JsonObject *body;
  guint8 which;

  if (size < 1)
    return 0;
  which = data[0] % 5;
  data++;
  size--;

  if (which == 4) {
    if (!acs_sdp_check ((const gchar *) data, size, "sdp", &error))
      check_refusal (error);
    else if (error != NULL)
      fail ("an accepted SDP with an error");
    return 0;
  }

  body = acs_request_parse_body ("application/json", (const gchar *) data,
      size, &error);
  if (body == NULL) {
    check_refusal (error);
    return 0;
  }
  if (error != NULL)
    fail ("a parsed body with an error");

  switch (which) {
    case 0:{
      AcsPlaceRequest place;

      if (acs_request_get_place (body, &place, &error)) {
        if (place.to_user == NULL || place.offer_sdp == NULL
            || place.kind == NULL)
          fail ("an accepted place without its fields");
        acs_place_request_clear (&place);
      } else {
        check_refusal (error);
      }
      break;
    }
    case 1:{
      gchar *sdp = NULL;

      if (acs_request_get_description (body, "answer", &sdp, &error))
        g_free (sdp);
      else
        check_refusal (error);
      break;
    }
    case 2:{
      AcsCallAction action;

      if (!acs_request_get_decline (body, &action, &error))
        check_refusal (error);
      break;
    }
    case 3:{
      GArray *candidates = acs_request_get_candidates (body, &error);
      guint i;

      if (candidates != NULL) {
        if (candidates->len == 0)
          fail ("accepted candidates without any");
        for (i = 0; i < candidates->len; i++) {
          AcsCandidateRequest *c =
              &g_array_index (candidates, AcsCandidateRequest, i);

          if (!c->end_of_candidates && c->candidate == NULL)
            fail ("an accepted candidate without a line");
          if (c->end_of_candidates && i + 1 != candidates->len)
            fail ("end of candidates before the last");
        }
        g_array_unref (candidates);
      } else {
        check_refusal (error);
      }
      break;
    }
  }
  json_object_unref (body);
  return 0;
}
