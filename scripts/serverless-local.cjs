// A local osls plugin for two things serverless-esbuild leaves to us.
//
// `osls invoke local` writes serverless.yml's environment over the shell's, so a local run would
// point at the stage's DynamoDB table, and it runs the handler inside the build folder
// (.esbuild/.build), where a relative SQLite path would land. So for invoke local, UPLOAD_STORE is
// the shell's if set, else the receiver's own default (`sqlite:./data/uploads.db`) anchored at the
// project, where `oss-callback records` reads it; `-e UPLOAD_STORE=…` still overrides both. osls
// reads the environment in the first step of invoke local, so this runs at `initialize`.
//
// serverless-esbuild zips its whole build folder and never empties it between runs, so chunks of
// older builds (and anything a local invoke wrote there) would ship. Package and deploy start from
// an empty one.
const { rmSync } = require('node:fs');
const { join } = require('node:path');

class LocalInvokeAndCleanBuild {
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        const [command, subcommand] = serverless.processedInput?.commands ?? [];
        if (command === 'invoke' && subcommand === 'local') {
          serverless.service.provider.environment ??= {};
          serverless.service.provider.environment.UPLOAD_STORE = process.env.UPLOAD_STORE || `sqlite:${join(serverless.serviceDir, 'data', 'uploads.db')}`;
        }
        if (command === 'package' || command === 'deploy') rmSync(join(serverless.serviceDir, '.esbuild'), { recursive: true, force: true });
      },
    };
  }
}

module.exports = LocalInvokeAndCleanBuild;
