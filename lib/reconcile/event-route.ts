import { asCallbackError, CallbackError } from '../errors.js';
import { jsonResponse, refusalResponse, type CallbackRequest, type CallbackResponse, type LocalRoutes } from '../exchange.js';
import type { OssClient } from '../oss/client.js';
import type { UploadStore } from '../store/port.js';
import { isOssEventDocument } from './oss-event.js';
import { recordOssEvents, uploadsOfEvents } from './record-events.js';

/** Where the local server takes OSS events: the simulator's --notify-url under `npm run dev`. */
export const OSS_EVENTS_PATH = '/oss/events';

/**
 * `POST /oss/events` beside a local receiver: an OSS ObjectCreated event document, as Function
 * Compute's OSS trigger hands it to the reconcile function, recorded into the receiver's store the
 * way that function records it, asking `oss` (the simulator) which spelling of a key that may be
 * URL-encoded it holds. For development: the route asks no proof of who sent the event.
 */
export function ossEventRoute(store: UploadStore, oss?: OssClient): LocalRoutes {
  return (request) => (request.rawPath === OSS_EVENTS_PATH ? record(store, oss, request) : undefined);
}

async function record(store: UploadStore, oss: OssClient | undefined, request: CallbackRequest): Promise<CallbackResponse> {
  try {
    if (request.method !== 'POST') throw new CallbackError('MethodNotAllowed', `post OSS events; ${request.method} is not allowed`);
    let document: unknown;
    try {
      document = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw new CallbackError('MalformedBody', 'the body is not JSON');
    }
    if (!isOssEventDocument(document)) throw new CallbackError('MalformedBody', 'the body is not an OSS event document, {"events": [...]}');
    const outcomes = await recordOssEvents(store, document, oss ? { oss } : {});
    return jsonResponse(200, { outcomes, uploads: uploadsOfEvents(outcomes) });
  } catch (error) {
    return refusalResponse(asCallbackError(error, 'recording the OSS event'));
  }
}
