/**
 * The callback receiver on Alibaba Cloud Function Compute: `callback-fc.fc3` (s.yaml) and
 * `callback-fc.fc2` (FC 2.0). Its bundle carries Tablestore, where Function Compute records, and
 * memory: for trying it out; an UPLOAD_STORE naming any other store answers 500 Misconfigured.
 */
import { callbackInstance } from '../lib/instance.js';
import { fc2Handler } from '../lib/platforms/fc2.js';
import { fc3Handler } from '../lib/platforms/fc3.js';
import { openMemory } from '../lib/store/open-memory.js';
import { openTablestore } from '../lib/store/open-tablestore.js';

const receiver = callbackInstance({ memory: openMemory, tablestore: openTablestore });

export const fc3 = fc3Handler(receiver);
export const fc2 = fc2Handler(receiver);
