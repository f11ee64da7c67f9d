/**
 * The reconcile function on Function Compute 3.0: `reconcile-fc.fc3` in s.yaml, with two triggers. The
 * timer trigger runs the scheduled reconcile (a listing of the buckets); the OSS trigger records each
 * object as soon as it is stored, under the id its callback's record replaces. Its bundle carries
 * Tablestore, where FC records, and memory: for trying it out.
 */
import { fc3Reconcile } from '../lib/reconcile/handlers.js';
import { reconcileFunction } from '../lib/reconcile/function.js';
import { storesOf } from '../lib/reconcile/stores.js';

export const reconciler = reconcileFunction(
  storesOf({
    tablestore: async (location, options) => {
      const [instance = '', table = ''] = location.split('/');
      return (await import('../lib/store/tablestore.js')).openTablestoreStore(instance, table, options);
    },
    memory: async () => (await import('../lib/store/memory.js')).openMemoryStore(),
  }),
);

export const fc3 = fc3Reconcile(reconciler);
