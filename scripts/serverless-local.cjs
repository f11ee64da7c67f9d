// A local osls plugin for what serverless-esbuild and osls leave to us, and the ticket function URL's
// CORS, which osls variables cannot derive from a comma-separated environment variable.
//
// `osls invoke local` writes serverless.yml's environment over the shell's, so a local run would
// point at the stage's DynamoDB table. So for invoke local, UPLOAD_STORE is the shell's if set, else
// `memory:` (the Lambda bundle carries DynamoDB and memory: only; the answer shows the record);
// `-e UPLOAD_STORE=…` still overrides both. A value only CloudFormation can resolve (the ticket
// function's default OSS_CALLBACK_URL, the receiver's deployed URL) does not exist locally, and
// invoke local refuses it, so it is left out. osls reads the environment in the first step of
// invoke local, so this runs at `initialize`.
//
// serverless-esbuild zips its whole build folder and never empties it between runs, so chunks of
// older builds (and anything a local invoke wrote there) would ship. Package and deploy start from
// an empty one.
const { rmSync } = require('node:fs');
const { join } = require('node:path');

/** `{"Fn::GetAtt": …}`, `{"Ref": …}`: a CloudFormation intrinsic, resolved only in a deployed stack. */
const isIntrinsic = (value) => typeof value === 'object' && value !== null && Object.keys(value).some((key) => key === 'Ref' || key.startsWith('Fn::'));

class LocalInvokeAndCleanBuild {
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        const [command, subcommand] = serverless.processedInput?.commands ?? [];
        if (command === 'invoke' && subcommand === 'local') {
          const store = process.env.UPLOAD_STORE || 'memory:';
          const environments = [serverless.service.provider, ...Object.values(serverless.service.functions ?? {})].map((holder) => holder?.environment).filter(Boolean);
          for (const environment of environments) {
            if ('UPLOAD_STORE' in environment) environment.UPLOAD_STORE = store;
            for (const [name, value] of Object.entries(environment)) if (isIntrinsic(value)) delete environment[name];
          }
        }
        if (command === 'package' || command === 'deploy') rmSync(join(serverless.serviceDir, '.esbuild'), { recursive: true, force: true });
      },
    };
  }
}

/**
 * `${file(./scripts/serverless-local.cjs):ticketCors}`: the ticket function URL's CORS from
 * OSS_TICKET_CORS_ORIGINS (comma-separated, `*` for any), the variable the function reads on Function
 * Compute and the local server. Unset: false, no CORS, as the function's own default. The methods,
 * headers and max age are the ones the function answers a preflight with (lib/tickets/service.ts).
 */
function ticketCorsFrom(env) {
  const origins = (env.OSS_TICKET_CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  if (origins.length === 0) return false;
  return { allowedOrigins: origins, allowedMethods: ['POST'], allowedHeaders: ['authorization', 'content-type', 'x-dev-user'], maxAge: 600 };
}

module.exports = LocalInvokeAndCleanBuild;
// osls calls a function it finds at the address with an argument of its own; the environment is the
// process's.
module.exports.ticketCors = () => ticketCorsFrom(process.env);
module.exports.ticketCorsFrom = ticketCorsFrom;
