/** Mutex runs async functions one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs f after every earlier call has settled, and returns its result. */
  run<T>(f: () => Promise<T>): Promise<T> {
    const result = this.tail.then(f, f);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
