/**
 * The reconcile function on AWS Lambda: `functions/reconcile-lambda.lambda` in serverless.yml, run by
 * an EventBridge schedule. It records the uploads whose callback never arrived, from a listing of the
 * buckets. Its bundle carries DynamoDB, where Lambda records, and memory: for trying it out.
 */
import { lambdaReconcile } from '../lib/reconcile/handlers.js';
import { reconcileFunction } from '../lib/reconcile/function.js';
import { storesOf } from '../lib/reconcile/stores.js';

export const reconciler = reconcileFunction(
  storesOf({
    dynamodb: async (table) => (await import('../lib/store/dynamodb.js')).openDynamoDbStore(table),
    memory: async () => (await import('../lib/store/memory.js')).openMemoryStore(),
  }),
);

export const lambda = lambdaReconcile(reconciler);
