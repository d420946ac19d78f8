/**
 * One command at a time in a job's sandbox: the model may ask for several in one turn, and
 * the write-cap check and the hand-over of output/ to the sandbox user assume nothing else
 * runs in it meanwhile. A failed command does not block the next.
 */
export class CommandQueue {
  private tail: Promise<unknown> = Promise.resolve();

  add<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
