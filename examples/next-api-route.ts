/**
 * A Next.js API route of the Pages Router: pages/api/oss/callback.ts, in an App Router project too.
 * Not an App Router route handler: Next.js drops the Content-Length of a route handler's Response and
 * streams it chunked, and OSS refuses an answer without one. test/e2e/nextjs.test.ts builds the
 * README's copy of this route (Turbopack and webpack) and serves it with next start.
 */
import { createReceiver } from 'oss-upload-callback';
import { nodeHandler } from 'oss-upload-callback/node';

// Next must not read the body first: the signature covers the raw bytes OSS sent.
export const config = { api: { bodyParser: false } };

// The receiver starts, and opens its store, on the first callback, never during next build.
export default nodeHandler(createReceiver({ store: process.env.UPLOAD_STORE ?? 'dynamodb:uploads' }));
