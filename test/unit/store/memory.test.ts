import { openMemoryStore } from '../../../lib/store/memory.js';
import { describeStoreContract } from '../../contract/store.contract.js';

describeStoreContract('memory', async () => openMemoryStore(), { interruptWrites: 'one write' });
