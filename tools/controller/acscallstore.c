/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* acs-controller: where the calls live
 *
 * The interface (a struct of function pointers) and its in-memory
 * implementation, a hash table from call id to call. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "acscallstore.h"

typedef struct
{
  AcsCallStore parent;
  GHashTable *calls;            /* id -> AcsCall, owned */
} AcsMemoryCallStore;

static AcsCall *
memory_get (AcsCallStore * store, const gchar * id)
{
  return g_hash_table_lookup (((AcsMemoryCallStore *) store)->calls, id);
}

static void
memory_put (AcsCallStore * store, AcsCall * call)
{
  AcsMemoryCallStore *self = (AcsMemoryCallStore *) store;

  /* Storing the call already stored is a no-op: it was changed in place */
  if (g_hash_table_lookup (self->calls, call->id) == call)
    return;
  g_hash_table_replace (self->calls, call->id, call);
}

static void
memory_remove (AcsCallStore * store, const gchar * id)
{
  g_hash_table_remove (((AcsMemoryCallStore *) store)->calls, id);
}

static void
memory_foreach (AcsCallStore * store, AcsCallStoreFunc func, gpointer user_data)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, ((AcsMemoryCallStore *) store)->calls);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    func (value, user_data);
}

static guint
memory_size (AcsCallStore * store)
{
  return g_hash_table_size (((AcsMemoryCallStore *) store)->calls);
}

static void
memory_free (AcsCallStore * store)
{
  AcsMemoryCallStore *self = (AcsMemoryCallStore *) store;

  g_hash_table_unref (self->calls);
  g_free (self);
}

/**
 * acs_call_store_new_memory:
 *
 * Returns: (transfer full): an empty in-memory store.
 */
AcsCallStore *
acs_call_store_new_memory (void)
{
  AcsMemoryCallStore *self = g_new0 (AcsMemoryCallStore, 1);

  /* The key is the call's own id, freed with the call */
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) acs_call_free);
  self->parent.get = memory_get;
  self->parent.put = memory_put;
  self->parent.remove = memory_remove;
  self->parent.foreach = memory_foreach;
  self->parent.size = memory_size;
  self->parent.free = memory_free;
  return &self->parent;
}

/**
 * acs_call_store_get:
 * @store: a store
 * @id: a call id
 *
 * Returns: (transfer none) (nullable): the call, valid until the next
 *   call of @store.
 */
AcsCall *
acs_call_store_get (AcsCallStore * store, const gchar * id)
{
  return store->get (store, id);
}

/**
 * acs_call_store_put:
 * @store: a store
 * @call: (transfer full): a new call, or one got from @store and changed
 *
 * Stores @call.
 */
void
acs_call_store_put (AcsCallStore * store, AcsCall * call)
{
  store->put (store, call);
}

/**
 * acs_call_store_remove:
 * @store: a store
 * @id: a call id
 *
 * Forgets the call, if any.
 */
void
acs_call_store_remove (AcsCallStore * store, const gchar * id)
{
  store->remove (store, id);
}

/**
 * acs_call_store_foreach:
 * @store: a store
 * @func: (scope call): called for every call; must not change @store
 * @user_data: passed to @func
 *
 * Iterates over the calls.
 */
void
acs_call_store_foreach (AcsCallStore * store, AcsCallStoreFunc func,
    gpointer user_data)
{
  store->foreach (store, func, user_data);
}

/**
 * acs_call_store_size:
 * @store: a store
 *
 * Returns: how many calls @store holds.
 */
guint
acs_call_store_size (AcsCallStore * store)
{
  return store->size (store);
}

/**
 * acs_call_store_free:
 * @store: (transfer full) (nullable): a store
 *
 * Frees @store and its calls.
 */
void
acs_call_store_free (AcsCallStore * store)
{
  if (store != NULL)
    store->free (store);
}
