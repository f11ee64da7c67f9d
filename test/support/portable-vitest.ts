import { ASYMMETRIC_MATCHERS_OBJECT, chai, GLOBAL_EXPECT, getState, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState, type ExpectStatic } from '@vitest/expect';

/**
 * The part of vitest's API the contract suites use (describe, it, hooks, expect), for running them
 * where vitest does not: on Bun, Deno and other Node versions, in a script bundled with this module
 * in place of `vitest` (test/support/runtime-contract.ts). `expect` is vitest's own (@vitest/expect
 * on chai), so a suite asserts the same everywhere; tests run one at a time, in order.
 */

type Hook = () => unknown;
interface Test {
  name: string;
  fn: Hook;
  timeout: number;
}
interface Suite {
  name: string;
  tests: (Test | Suite)[];
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

export interface TestResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const root: Suite = { name: '', tests: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
let current = root;

export function describe(name: string, body: () => void): void {
  const suite: Suite = { name, tests: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
  current.tests.push(suite);
  const parent = current;
  current = suite;
  try {
    body();
  } finally {
    current = parent;
  }
}

export function it(name: string, fn: Hook, timeout = DEFAULT_TIMEOUT_MS): void {
  current.tests.push({ name, fn, timeout });
}
export const test = it;

export const beforeAll = (fn: Hook) => void current.beforeAll.push(fn);
export const afterAll = (fn: Hook) => void current.afterAll.push(fn);
export const beforeEach = (fn: Hook) => void current.beforeEach.push(fn);
export const afterEach = (fn: Hook) => void current.afterEach.push(fn);

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** As vitest's createExpect does, without a test context (no snapshots, no soft assertions). */
export const expect = ((value: unknown, message?: string) => {
  setState({ assertionCalls: getState(expect).assertionCalls + 1 }, expect);
  return chai.expect(value, message);
}) as unknown as ExpectStatic;
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null }, expect);
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expect, writable: true, configurable: true });

function withTimeout(fn: Hook, ms: number, what: string): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve().then(fn), timeout]).finally(() => clearTimeout(timer));
}

const describeError = (error: unknown) => (error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error));

/** Every test collected so far, each suite's hooks around it; a failing beforeAll fails its suite's tests. */
export async function run(): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const visit = async (suite: Suite, path: string[], eachBefore: Hook[], eachAfter: Hook[]): Promise<void> => {
    const names = suite.name ? [...path, suite.name] : path;
    const before = [...eachBefore, ...suite.beforeEach];
    const after = [...suite.afterEach, ...eachAfter];
    let setupError: unknown;
    try {
      for (const hook of suite.beforeAll) await withTimeout(hook, 30_000, 'beforeAll');
    } catch (error) {
      setupError = error;
    }
    for (const entry of suite.tests) {
      if ('tests' in entry) {
        await visit(entry, names, before, after);
        continue;
      }
      const name = [...names, entry.name].join(' > ');
      const started = Date.now();
      let failure = setupError;
      if (failure === undefined) {
        try {
          for (const hook of before) await withTimeout(hook, 30_000, 'beforeEach');
          await withTimeout(entry.fn, entry.timeout, 'the test');
        } catch (error) {
          failure = error;
        }
        for (const hook of after) {
          try {
            await withTimeout(hook, 30_000, 'afterEach');
          } catch (error) {
            failure ??= error;
          }
        }
      }
      results.push({ name, ok: failure === undefined, ms: Date.now() - started, ...(failure === undefined ? {} : { error: describeError(failure) }) });
    }
    for (const hook of suite.afterAll) await withTimeout(hook, 30_000, 'afterAll').catch(() => {});
  };
  await visit(root, [], [], []);
  return results;
}
