/**
 * A Next.js App Router route handler: app/api/oss/callback/route.ts. Keep the callback URL free of a
 * trailing slash (Next redirects it, and OSS does not follow redirects), and keep middleware from
 * rewriting the path.
 */
import { createReceiver } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';

// The signature is RSA-MD5 through node:crypto: the Node.js runtime, not the Edge runtime.
export const runtime = 'nodejs';
// Every callback is new: never cache or prerender this route.
export const dynamic = 'force-dynamic';

export const POST = fetchHandler(createReceiver({ store: process.env.UPLOAD_STORE ?? 'dynamodb:uploads' }));
