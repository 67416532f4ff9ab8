import type { Logger } from './log.ts';

/**
 * The loop of a background worker (the mailer, the subscriber fan-out, the webhook worker): one
 * run at a time; a kick during a run asks for one more right after it (a burst of kicks becomes one
 * run, not one per kick); otherwise the next run comes when `nextDelay` says.
 */
export interface RunLoop {
  /** Run now, or once more after the run in progress. */
  kick(): void;
  start(): void;
  /** No more runs; resolves when the one in progress has ended. */
  stop(): Promise<void>;
  /** Resolves when the run in progress, if any, has ended. */
  settled(): Promise<void>;
  readonly stopped: boolean;
}

export interface RunLoopOptions {
  run: () => Promise<unknown>;
  /** A run threw: logged by the worker; the loop goes on. */
  onError: (error: unknown) => void;
  /** How long after a run the next one starts; `kicked`: a kick came during the run. */
  nextDelay: (kicked: boolean) => number;
}

export function createRunLoop(options: RunLoopOptions): RunLoop {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;

  function schedule(delay: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delay);
  }

  function run(): void {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = options
      .run()
      .then(() => undefined)
      .catch(options.onError)
      .finally(() => {
        running = null;
        const kicked = again;
        again = false;
        schedule(options.nextDelay(kicked));
      });
  }

  return {
    kick() {
      if (running) again = true;
      else schedule(0);
    },
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    async settled() {
      await running;
    },
    get stopped() {
      return stopped;
    },
  };
}

/**
 * The `onError` of a worker whose failures are counted in `stats.last_error` and logged at error
 * level with the stack: the run is retried by the loop.
 */
export function reportRunError(
  stats: { last_error: string | null },
  log: Logger,
  now: () => Date,
  msg: string,
): (error: unknown) => void {
  return (error) => {
    stats.last_error = String(error);
    log({
      time: now().toISOString(),
      level: 'error',
      msg,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  };
}
