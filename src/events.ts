import { EventEmitter } from 'node:events';
import type { JobRow } from './queue/status.js';

/**
 * Everything that happens, as typed events on one emitter. The log, the notifier and the
 * dashboard subscribe; none of them can break the pipeline (see safeEmit).
 */
export interface DropworkEvents {
  'job:queued': [job: JobRow];
  'job:started': [job: JobRow];
  'job:succeeded': [job: JobRow];
  'job:failed': [job: JobRow];
  'job:skipped': [job: JobRow];
  'job:waiting': [job: JobRow];
  'job:cancelled': [job: JobRow];
  'job:retrying': [job: JobRow];
  'job:step': [jobId: number, kind: string, message: string];
  'rules:loaded': [count: number, errors: number];
  'inbox:mode': [inbox: string, mode: 'events' | 'polling', reason: string];
  'daemon:stopping': [];
  /** A team's shared database stopped answering (why), and answers again. */
  'store:down': [reason: string];
  'store:up': [];
}

export type EventName = keyof DropworkEvents;

export class Events {
  private readonly emitter = new EventEmitter();
  private onListenerError: (event: string, err: unknown) => void = () => {};

  constructor() {
    // Many subscribers (notifier, dashboard streams) may listen at once.
    this.emitter.setMaxListeners(100);
  }

  /** Where listener failures are reported (the log, once it exists). */
  reportListenerErrorsTo(fn: (event: string, err: unknown) => void): void {
    this.onListenerError = fn;
  }

  on<E extends EventName>(event: E, listener: (...args: DropworkEvents[E]) => void | Promise<void>): () => void {
    // A listener that throws or rejects is logged and forgotten: a broken notifier must
    // never fail a job (graphile-worker's safeEmit).
    const safe = (...args: DropworkEvents[E]): void => {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch((err: unknown) => this.onListenerError(event, err));
      } catch (err) {
        this.onListenerError(event, err);
      }
    };
    this.emitter.on(event, safe as (...a: unknown[]) => void);
    return () => this.emitter.off(event, safe as (...a: unknown[]) => void);
  }

  emit<E extends EventName>(event: E, ...args: DropworkEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}
