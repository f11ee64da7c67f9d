/**
 * The local stack `npm run dev` starts, also used by the browser test: the OSS simulator, the
 * receiver (node:http, the configured store) trusting the simulator's callback key, and beside the
 * receiver the ticket route (development sign-in), the user's records, the upload page in web/ and
 * `POST /oss/events`, where the simulator posts an OSS event for every object it creates, recorded
 * as the reconcile function records them on Function Compute.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../lib/config.js';
import { aliyunCredentialsFromEnv, type AliyunCredentials } from '../lib/credentials.js';
import type { Logger } from '../lib/logger.js';
import { createOssClient } from '../lib/oss/client.js';
import { ossLocation } from '../lib/oss/location.js';
import { startLocalServer, type LocalServer } from '../lib/platforms/node-http.js';
import { OSS_EVENTS_PATH, ossEventRoute } from '../lib/reconcile/event-route.js';
import { loadTicketConfig } from '../lib/tickets/config.js';
import { ticketRoutes } from '../lib/tickets/local-routes.js';
import { createTicketService } from '../lib/tickets/service.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/simulator.js';

export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));
/** What the ticket route signs with when neither the simulator nor the environment names a pair. */
const DEV_CREDENTIALS: AliyunCredentials = { accessKeyId: 'dev-access-key-id', accessKeySecret: 'dev-access-key-secret' };

export interface DevStackOptions {
  sim: SimulatorOptions & { trustedKeysOut: string };
  /** 0 picks a free port. Default: PORT or 9000. */
  receiverPort?: number;
  env?: NodeJS.ProcessEnv;
  /** The simulator's and the receiver's logs; each defaults to JSON lines on stdout. */
  simLogger?: Logger;
  logger?: Logger;
}

export interface DevStack {
  sim: Simulator;
  receiver: LocalServer;
  callbackUrl: string;
  /** Where the upload page is served. */
  pageUrl: string;
  close(): Promise<void>;
}

/** The callback URL goes into every ticket before the receiver listens, so its port is fixed first. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? process.env;
  const port = options.receiverPort === 0 ? await freePort() : (options.receiverPort ?? loadConfig({ PORT: env.PORT }).port);
  const origin = `http://127.0.0.1:${port}`;
  // Browsers on the page's origin post to the simulator; a real bucket needs a CORS rule instead.
  const sim = await startSimulator({
    corsOrigins: ['*'],
    notifyUrl: `${origin}${OSS_EVENTS_PATH}`,
    ...options.sim,
    ...(options.simLogger ? { logger: options.simLogger } : {}),
  });
  try {
    // A fresh ticket key per run unless one is configured: tickets live minutes, a restart may forget them.
    const ticketKeys = env.OSS_TICKET_KEYS || JSON.stringify({ dev: randomBytes(32).toString('base64url') });
    const receiverEnv: NodeJS.ProcessEnv = { ...env, PORT: String(port), OSS_CALLBACK_TRUSTED_KEYS: options.sim.trustedKeysOut, OSS_TICKET_KEYS: ticketKeys };
    const ticketConfig = loadTicketConfig({
      OSS_BUCKET: sim.bucket,
      OSS_REGION: env.OSS_REGION || 'cn-hangzhou',
      OSS_ENDPOINT: sim.url,
      OSS_CALLBACK_URL: `${origin}/oss/callback`,
      OSS_TICKET_KEYS: ticketKeys,
      OSS_TICKET_KEY_ID: env.OSS_TICKET_KEY_ID,
      OSS_TICKET_AUTH: 'dev',
      LOG_LEVEL: env.LOG_LEVEL,
    });
    const credentials = options.sim.credentials ?? aliyunCredentialsFromEnv(env) ?? DEV_CREDENTIALS;
    // Asked which spelling of an event's key the simulator holds, as the function asks OSS.
    const reader = createOssClient({ location: ossLocation({ region: ticketConfig.region, endpoint: sim.url }, { region: 'OSS_REGION', endpoint: 'the simulator' }), credentials: () => credentials });
    const receiver = await startLocalServer({
      config: loadConfig(receiverEnv),
      ...(options.logger ? { logger: options.logger } : {}),
      routes: (store) => {
        const events = ossEventRoute(store, reader);
        const tickets = ticketRoutes({
          tickets: createTicketService({ config: ticketConfig, credentials: () => credentials, ...(options.logger ? { logger: options.logger } : {}) }),
          store,
          webRoot: WEB_ROOT,
        });
        return (request) => events(request) ?? tickets(request);
      },
    });
    return {
      sim,
      receiver,
      callbackUrl: ticketConfig.callbackUrl,
      pageUrl: `${origin}/`,
      async close() {
        reader.close();
        await Promise.all([receiver.close(), sim.close()]);
      },
    };
  } catch (error) {
    await sim.close();
    throw error;
  }
}
