// Express (4 or 5), node:http and Connect: mount the handler BEFORE express.json() and
// express.urlencoded(), or give its route express.raw({ type: '*/*' }). Mounting it on a router under
// a prefix is fine: the handler signs req.originalUrl, the path OSS called.
import express from 'express';
import { createReceiver } from 'oss-upload-callback';
import { nodeHandler } from 'oss-upload-callback/node';

const receiver = createReceiver({
  // Or leave it out: UPLOAD_STORE, else sqlite:./data/uploads.db (npm install better-sqlite3).
  store: 'dynamodb:uploads',
  // What the uploader gets back from OSS, beside Status and record.
  answer: (record) => ({ url: `https://cdn.example.com/${record.object}` }),
});

const app = express();
const hooks = express.Router();
hooks.post('/oss/callback', nodeHandler(receiver));
app.use('/hooks', hooks); // OSS's callbackUrl: https://api.example.com/hooks/oss/callback

// Body parsers for the rest of the app come after the callback route.
app.use(express.json());
app.listen(3000);
