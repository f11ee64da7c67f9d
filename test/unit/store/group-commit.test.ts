import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../../lib/store/group-commit.js';

describe('groupCommit', () => {
  it('writes what is asked within one turn in one batch, each caller getting its own outcome', async () => {
    const batches: number[][] = [];
    const write = groupCommit((inputs: number[]) => (batches.push(inputs), inputs.map((n) => n * 10)));

    const outcomes = await Promise.all([1, 2, 3].map(write));
    const later = await write(4);

    expect(outcomes).toEqual([10, 20, 30]);
    expect(later).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('fails every write of a failed batch with its error, and goes on with the next turn', async () => {
    let fail = true;
    const write = groupCommit((inputs: string[]) => {
      if (fail) throw new Error('database is locked');
      return inputs;
    });

    const failed = await Promise.allSettled([write('a'), write('b')]);
    fail = false;

    expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(await write('c')).toBe('c');
  });

  it('splits a crowded turn into batches of at most 64', async () => {
    const sizes: number[] = [];
    const write = groupCommit((inputs: number[]) => (sizes.push(inputs.length), inputs));

    await Promise.all(Array.from({ length: 150 }, (_, i) => write(i)));

    expect(sizes).toEqual([64, 64, 22]);
  });
});
