/**
 * A promise whose work starts the first time something waits for it (`await`, `then`, `catch`,
 * `finally`), not when it is made. `fetchHandler(createReceiver())` at the top of a module then
 * reads no file and opens no store while a bundler evaluates that module (`next build` does), only
 * when the first request reaches the door, or when the app awaits the promise itself.
 */
class WhenAwaited<T> extends Promise<T> {
  // What then() returns is a plain Promise, which starts nothing of its own.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #start: (() => void) | undefined;

  static waiting(value: unknown): boolean {
    return value instanceof WhenAwaited && value.#start !== undefined;
  }

  constructor(work: () => Promise<T>) {
    let settle!: (value: T | PromiseLike<T>) => void;
    super((resolve) => {
      settle = resolve;
    });
    // A synchronous throw in `work` becomes the rejection, as in an async function.
    this.#start = () => settle(Promise.resolve().then(work));
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const start = this.#start;
    this.#start = undefined;
    start?.();
    return super.then(onFulfilled, onRejected);
  }
}

/** `work()`, run the first time the returned promise is waited for. */
export function whenAwaited<T>(work: () => Promise<T>): Promise<T> {
  return new WhenAwaited(work);
}

/** Whether `value` is a promise from `whenAwaited` that nothing has waited for yet: its work has not started. */
export function notStarted(value: unknown): boolean {
  return WhenAwaited.waiting(value);
}
