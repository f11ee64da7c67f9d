#!/usr/bin/env node
import { silenceAwsSdkNodeNotice } from './aws-sdk-notice.js';
import { main } from './main.js';

silenceAwsSdkNodeNotice();
process.exitCode = await main(process.argv.slice(2));
