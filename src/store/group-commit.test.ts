import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from './group-commit.js';

describe('group commit (one transaction per batch of concurrent work)', () => {
  it('takes everything submitted in the same turn of the event loop as one batch', async () => {
    const batches: number[][] = [];
    const queue = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((n): Outcome<number> => ({ ok: true, value: n * 2 }));
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => queue.submit(n)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('settles each item by its own outcome: one refusal does not fail the others', async () => {
    const queue = new GroupCommit<number, number>(async (items) =>
      items.map((n): Outcome<number> => (n % 2 ? { ok: true, value: n } : { ok: false, error: new Error(`even ${n}`) })),
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => queue.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('even 2');
  });

  it('fails every item of a batch whose run throws, and carries on with the next batch', async () => {
    let calls = 0;
    const queue = new GroupCommit<string, string>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('database unavailable');
      return items.map((s): Outcome<string> => ({ ok: true, value: s }));
    });
    const first = await Promise.allSettled([queue.submit('a'), queue.submit('b')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(queue.submit('c')).resolves.toBe('c');
  });

  it('never runs two batches at once; work arriving during a run waits for the next, in order', async () => {
    const batches: string[][] = [];
    let running = 0;
    let overlapped = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new GroupCommit<string, string>(async (items) => {
      running++;
      if (running > 1) overlapped = true;
      batches.push(items);
      if (batches.length === 1) await gate;
      running--;
      return items.map((s): Outcome<string> => ({ ok: true, value: s }));
    });
    const early = [queue.submit('a'), queue.submit('b')];
    await new Promise((resolve) => setImmediate(resolve));
    const late = [queue.submit('c'), queue.submit('d')];
    release();
    expect(await Promise.all([...early, ...late])).toEqual(['a', 'b', 'c', 'd']);
    expect(batches).toEqual([['a', 'b'], ['c', 'd']]);
    expect(overlapped).toBe(false);
  });

  it('keeps batches within the bound it was given', async () => {
    const sizes: number[] = [];
    const queue = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      return items.map((n): Outcome<number> => ({ ok: true, value: n }));
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => queue.submit(i)));
    expect(sizes).toEqual([3, 3, 2]);
  });
});
