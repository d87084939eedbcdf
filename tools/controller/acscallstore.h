/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: where the calls live */

#ifndef __ACS_CALL_STORE_H__
#define __ACS_CALL_STORE_H__

#include "acscall.h"

G_BEGIN_DECLS

typedef struct _AcsCallStore AcsCallStore;

/**
 * AcsCallStoreFunc:
 * @call: (transfer none): a call
 * @user_data: the caller's data
 *
 * Called by acs_call_store_foreach() for every call.
 */
typedef void (*AcsCallStoreFunc) (AcsCall * call, gpointer user_data);

/**
 * AcsCallStore:
 * @get: the call with this id, or %NULL; the store keeps it
 * @put: stores a new or changed call (transfer full); the HTTP layer calls
 *   it after every change, so that a shared store can write it back
 * @remove: forgets a call
 * @foreach: calls a function for every call
 * @size: how many calls it holds
 * @free: frees the store and its calls
 *
 * The call state behind one small interface: the embedded default keeps
 * it in memory (acs_call_store_new_memory()); a shared store (Redis) can
 * implement the same functions without any change in the HTTP layer.
 */
struct _AcsCallStore
{
  AcsCall *(*get) (AcsCallStore * store, const gchar * id);
  void (*put) (AcsCallStore * store, AcsCall * call);
  void (*remove) (AcsCallStore * store, const gchar * id);
  void (*foreach) (AcsCallStore * store, AcsCallStoreFunc func,
      gpointer user_data);
  guint (*size) (AcsCallStore * store);
  void (*free) (AcsCallStore * store);
};

AcsCallStore *acs_call_store_new_memory (void);

AcsCall *acs_call_store_get (AcsCallStore * store, const gchar * id);

void acs_call_store_put (AcsCallStore * store, AcsCall * call);

void acs_call_store_remove (AcsCallStore * store, const gchar * id);

void acs_call_store_foreach (AcsCallStore * store, AcsCallStoreFunc func,
    gpointer user_data);

guint acs_call_store_size (AcsCallStore * store);

void acs_call_store_free (AcsCallStore * store);

G_END_DECLS

#endif /* __ACS_CALL_STORE_H__ */
