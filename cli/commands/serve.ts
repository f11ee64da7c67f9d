import { ConfigError, loadConfig } from '../../lib/config.js';
import { startLocalServer } from '../../lib/platforms/node-http.js';
import { ticketRoutesFromEnv } from '../../lib/tickets/local-routes.js';
import { EXIT, parseCommandArgs, wholeNumberOption, type Command } from '../args.js';

export const command: Command = {
  summary: 'run the receiver as a local HTTP server',
  usage: `Usage: oss-callback serve [--port N] [--host ADDR]

Runs the callback receiver as a plain Node HTTP server. It accepts the callback on any path (the path
is part of what OSS signs), and logs one JSON line per callback. It starts only on a store it can
write to (else it says why, with the store's own error, and exits 1). GET /healthz answers 200 while
the process serves (liveness); GET /readyz answers 200 while the store records and 503 with the
store's code (e.g. SQLITE_FULL) while it cannot (readiness).

Options:
  --port N      port to listen on (default: $PORT or 9000; 0 picks a free port)
  --host ADDR   address to bind (default: 127.0.0.1; use 0.0.0.0 to accept callbacks from outside)

Environment:
  UPLOAD_STORE               sqlite:<path> (default sqlite:./data/uploads.db) | memory:
                             | dynamodb:<table> | tablestore:<instance>/<table>
  OSS_CALLBACK_TRUSTED_KEYS  JSON file {"<key url>": "<PEM>"} of extra pinned keys (dev, simulator)
  OSS_CALLBACK_MAX_BODY      largest body accepted, in bytes (default 65536)
  OSS_CALLBACK_DEADLINE_MS   answer before this many ms (default 4000; OSS waits 5000)
  LOG_LEVEL                  debug | info | warn | error | silent (default info)
  OSS_TICKET_KEYS            check upload tickets (x:ticket) on callbacks; OSS_CALLBACK_REQUIRE_TICKET=true
                             refuses callbacks without one
  OSS_TICKET_AUTH            jwks | secret | dev: also issue upload tickets on POST /tickets and list the
                             caller's records on GET /records (README, "Upload tickets")
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' } }, false);
    const port = values.port === undefined ? undefined : wholeNumberOption(values.port, 'port', 0, 0, 65_535);
    let config;
    let routes;
    try {
      config = loadConfig(io.env);
      routes = ticketRoutesFromEnv(io.env);
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr(`oss-callback serve: ${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    const server = await startLocalServer({ config, port, host: values.host, ...(routes ? { routes } : {}) });
    io.stderr(`oss-callback receiver on ${server.url} (store ${server.store.description}); Ctrl-C stops it\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return EXIT.ok;
  },
};
