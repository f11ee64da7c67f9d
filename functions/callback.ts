/**
 * The deployed callback receiver, one bundle for every serverless door. The handler names are what
 * the deploy files point at: `callback.lambda` (serverless.yml), `callback.fc3` (s.yaml) and
 * `callback.fc2` (FC 2.0). Each door gets the warm instance's receiver on each invocation.
 */
import { instanceReceiver } from '../lib/instance.js';
import { fc2Handler } from '../lib/platforms/fc2.js';
import { fc3Handler } from '../lib/platforms/fc3.js';
import { lambdaUrlHandler } from '../lib/platforms/lambda-url.js';

export const lambda = lambdaUrlHandler(instanceReceiver);
export const fc3 = fc3Handler(instanceReceiver);
export const fc2 = fc2Handler(instanceReceiver);
