/**
 * The reconcile function on AWS Lambda: `functions/reconcile-lambda.lambda` in serverless.yml, run by
 * an EventBridge schedule. It records the uploads whose callback never arrived, from a listing of the
 * buckets. Its bundle carries DynamoDB, where Lambda records, and memory: for trying it out.
 */
import { lambdaReconcile } from '../lib/reconcile/handlers.js';
import { reconcileFunction } from '../lib/reconcile/function.js';
import { openDynamoDb } from '../lib/store/open-dynamodb.js';
import { openMemory } from '../lib/store/open-memory.js';

export const reconciler = reconcileFunction({ memory: openMemory, dynamodb: openDynamoDb });

export const lambda = lambdaReconcile(reconciler);
