/**
 * The upload-ticket function, one bundle for every serverless door, beside the callback receiver:
 * `ticket.lambda` (Lambda function URL / HTTP API), `ticket.fc3` and `ticket.fc2` (Function Compute).
 * A signed-in user POSTs `{fileName, size, contentType}` and gets a V4-signed PostObject form whose
 * callback carries a ticket the receiver checks.
 */
import { fc2Handler } from '../lib/platforms/fc2.js';
import { fc3Handler } from '../lib/platforms/fc3.js';
import { lambdaUrlHandler } from '../lib/platforms/lambda-url.js';
import { ticketInstance } from '../lib/tickets/instance.js';

export const lambda = lambdaUrlHandler(ticketInstance);
export const fc3 = fc3Handler(ticketInstance);
export const fc2 = fc2Handler(ticketInstance);
