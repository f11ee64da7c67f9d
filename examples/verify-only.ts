/**
 * Verify only: the app keeps its own records. verifyCallback checks the OSS signature over the raw
 * bytes and parses the body; the route must keep those bytes (express.raw here).
 */
import express from 'express';
import { CallbackError, verifyCallback } from 'oss-upload-callback';
import { nodeCallbackRequest } from 'oss-upload-callback/node';

const app = express();
app.post('/oss/callback', express.raw({ type: '*/*' }), async (req, res) => {
  try {
    const { id, fields } = await verifyCallback(nodeCallbackRequest(req, req.body as Buffer));
    // id is stable across redeliveries of one upload: use it to store the upload once.
    await saveUpload(id, fields.bucket, fields.object, fields.size);
    res.json({ Status: 'OK', id });
  } catch (error) {
    if (!(error instanceof CallbackError)) throw error;
    res.status(error.status).json({ Status: 'Error', code: error.code, message: error.message });
  }
});
app.listen(3000);

declare function saveUpload(id: string, bucket: string, object: string, size: number | null): Promise<void>;
