/**
 * The callback receiver on AWS Lambda (function URL): `functions/callback-lambda.lambda` in
 * serverless.yml. Its bundle carries DynamoDB, where Lambda records, and memory: for trying it out;
 * an UPLOAD_STORE naming any other store answers 500 Misconfigured.
 */
import { callbackInstance } from '../lib/instance.js';
import { lambdaUrlHandler } from '../lib/platforms/lambda-url.js';
import { openDynamoDb } from '../lib/store/open-dynamodb.js';
import { openMemory } from '../lib/store/open-memory.js';

export const lambda = lambdaUrlHandler(callbackInstance({ memory: openMemory, dynamodb: openDynamoDb }));
