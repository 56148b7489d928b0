/**
 * Group commit: work that must be durable before its caller hears back is
 * queued, and one run takes everything that arrived meanwhile, so a busy
 * server pays one transaction (and one fsync) per batch instead of per item.
 *
 * A run starts on the next turn of the event loop (setImmediate), after the
 * requests already read from the network have queued their items; while it
 * runs, newcomers wait for the next one. Runs never overlap, so a batch sees
 * the effects of the one before it.
 */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export type BatchRunner<T, R> = (items: T[]) => Promise<Outcome<R>[]>;

interface Waiting<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private scheduled = false;
  private running = false;

  constructor(
    private readonly run: BatchRunner<T, R>,
    /** Bounded so one batch's statements stay under the databases' parameter limits. */
    private readonly maxBatch = 128,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        let outcomes: Outcome<R>[];
        try {
          outcomes = await this.run(batch.map((w) => w.item));
        } catch (error) {
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        batch.forEach((waiting, i) => {
          const outcome = outcomes[i] ?? { ok: false, error: new Error('the batch gave no outcome for this item') };
          if (outcome.ok) waiting.resolve(outcome.value);
          else waiting.reject(outcome.error);
        });
        // Let the requests that arrived during this run queue up behind it before the next.
        if (this.waiting.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }
}
