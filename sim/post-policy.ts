import { OssError, ossErrors } from './oss-error.js';

/**
 * A PostObject policy (`expiration` + `conditions`), decoded and checked against the form as OSS
 * does. Form field names are matched case-insensitively; `content-length-range` can only be judged
 * once the file has been read, so it is returned for the caller to check.
 */
export interface LengthRange {
  min: number;
  max: number;
  condition: string;
}

const policyError = (message: string) => ossErrors.accessDenied(`Invalid according to Policy: ${message}`);

/** OSS quotes the failing condition back in its own spacing: `["eq", "$key", "a"]`. */
function show(condition: unknown): string {
  if (Array.isArray(condition)) return `[${condition.map((item) => JSON.stringify(item)).join(', ')}]`;
  return `{${Object.entries(condition as object).map(([name, value]) => `${JSON.stringify(name)}: ${JSON.stringify(value)}`).join(', ')}}`;
}

function fieldValue(fields: ReadonlyMap<string, string>, name: string, bucket: string): string | undefined {
  const bare = (name.startsWith('$') ? name.slice(1) : name).toLowerCase();
  return bare === 'bucket' ? bucket : fields.get(bare);
}

function checkCondition(condition: unknown, fields: ReadonlyMap<string, string>, bucket: string): LengthRange | undefined {
  const failed = () => policyError(`Policy Condition failed: ${show(condition)}`);
  const badType = () => new OssError(400, 'InvalidPolicyDocument', `Invalid Policy: Invalid Condition: ${show(condition)}`);
  if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
    for (const [name, expected] of Object.entries(condition)) {
      if (fieldValue(fields, name, bucket) !== expected) throw failed();
    }
    return undefined;
  }
  if (!Array.isArray(condition) || typeof condition[0] !== 'string') throw badType();
  const [operator, name, expected] = condition as [string, unknown, unknown];
  if (operator.toLowerCase() === 'content-length-range') {
    if (!Number.isInteger(name) || !Number.isInteger(expected)) throw badType();
    return { min: name as number, max: expected as number, condition: show(condition) };
  }
  if (typeof name !== 'string') throw badType();
  const actual = fieldValue(fields, name, bucket) ?? '';
  switch (operator.toLowerCase()) {
    case 'eq':
      if (typeof expected !== 'string') throw badType();
      if (actual !== expected) throw failed();
      return undefined;
    case 'starts-with':
      if (typeof expected !== 'string') throw badType();
      if (!actual.startsWith(expected)) throw failed();
      return undefined;
    case 'in':
    case 'not-in': {
      if (!Array.isArray(expected)) throw badType();
      if (expected.includes(actual) !== (operator.toLowerCase() === 'in')) throw failed();
      return undefined;
    }
    default:
      throw badType();
  }
}

/** The fields a V4 form signs with; OSS wants each pinned by an exact condition in the policy. */
const V4_PINNED = ['x-oss-signature-version', 'x-oss-credential', 'x-oss-date', 'x-oss-security-token'] as const;

/** Names the conditions match exactly (`{"name": value}` or `["eq", "$name", value]`), lower case. */
function exactlyMatched(conditions: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  for (const condition of conditions) {
    if (Array.isArray(condition)) {
      if (String(condition[0]).toLowerCase() === 'eq' && typeof condition[1] === 'string') names.add(condition[1].replace(/^\$/, '').toLowerCase());
    } else if (typeof condition === 'object' && condition !== null) {
      for (const name of Object.keys(condition)) names.add(name.toLowerCase());
    }
  }
  return names;
}

/** A V4 form whose policy leaves one of its signing fields unpinned is refused, signed or not. */
function checkV4Pins(conditions: readonly unknown[], fields: ReadonlyMap<string, string>): void {
  if (fields.get('x-oss-signature-version') !== 'OSS4-HMAC-SHA256') return;
  const pinned = exactlyMatched(conditions);
  for (const name of V4_PINNED) {
    if ((fields.has(name) || name !== 'x-oss-security-token') && !pinned.has(name)) {
      throw policyError(`Policy Condition failed: the policy has no condition for ${name}`);
    }
  }
}

/** Check expiry and every condition except the length range, which comes back for later. */
export function checkPolicy(policyBase64: string, fields: ReadonlyMap<string, string>, bucket: string, now = Date.now()): LengthRange | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
  } catch {
    throw new OssError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  if (typeof policy !== 'object' || policy === null) throw new OssError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = policy as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires)) throw new OssError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid Simple-Expiration.');
  if (expires < now) throw policyError('Policy expired.');
  if (conditions !== undefined && !Array.isArray(conditions)) throw new OssError(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid Conditions.');
  let range: LengthRange | undefined;
  for (const condition of conditions ?? []) range = checkCondition(condition, fields, bucket) ?? range;
  checkV4Pins(conditions ?? [], fields);
  return range;
}

export function checkLength(range: LengthRange | undefined, size: number): void {
  if (range && (size < range.min || size > range.max)) throw policyError(`Policy Condition failed: ${range.condition}`);
}
