import type { KeyObject } from 'node:crypto';
import { signRsaMd5 } from './rsa.js';
import { stringToSign, type SignedParts } from './string-to-sign.js';

export interface SignOptions extends SignedParts {
  privateKey: KeyObject;
  keyUrl: string;
}

/**
 * The two headers OSS adds to a callback, computed the way OSS computes them. Used by the simulator,
 * the CLI's `sign`, sample events and tests; the receiver never signs.
 */
export function signatureHeaders(options: SignOptions): { authorization: string; 'x-oss-pub-key-url': string } {
  return {
    authorization: signRsaMd5(options.privateKey, stringToSign(options)).toString('base64'),
    'x-oss-pub-key-url': Buffer.from(options.keyUrl, 'utf8').toString('base64'),
  };
}
