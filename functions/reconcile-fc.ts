/**
 * The reconcile function on Function Compute 3.0: `reconcile-fc.fc3` in s.yaml, with two triggers. The
 * timer trigger runs the scheduled reconcile (a listing of the buckets); the OSS trigger records each
 * object as soon as it is stored, under the id its callback's record replaces. Its bundle carries
 * Tablestore, where FC records, and memory: for trying it out.
 */
import { fc3Reconcile } from '../lib/reconcile/handlers.js';
import { reconcileFunction } from '../lib/reconcile/function.js';
import { openMemory } from '../lib/store/open-memory.js';
import { openTablestore } from '../lib/store/open-tablestore.js';

export const reconciler = reconcileFunction({ memory: openMemory, tablestore: openTablestore });

export const fc3 = fc3Reconcile(reconciler);
