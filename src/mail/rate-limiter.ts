/**
 * At most `perSecond` requests in any one-second window (the provider's limit is per second). The
 * window is a little longer than a second because the provider counts arrivals, and network
 * jitter can bring two requests sent a second apart closer together.
 */
export class RateLimiter {
  #recent: Array<{ at: number }> = [];
  #windowMs: number;
  constructor(
    readonly perSecond: number,
    private readonly clock: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly windowMs = 1100,
  ) {
    this.#windowMs = windowMs;
  }

  /** The window requests are counted in now (see `tooFast`). */
  get currentWindowMs(): number {
    return this.#windowMs;
  }

  /**
   * The provider answered 429: it saw our requests closer together than we sent them (a request
   * delayed on its way arrives next to the following one). The window grows by `WIDEN_MS`, up to
   * `MAX_WINDOW_MS`, and shrinks back by a millisecond per request accepted (`accepted`).
   */
  tooFast(): void {
    this.#windowMs = Math.min(MAX_WINDOW_MS, this.#windowMs + WIDEN_MS);
  }

  accepted(): void {
    this.#windowMs = Math.max(this.windowMs, this.#windowMs - 1);
  }

  /**
   * Resolves when one more request may be made, and counts it. The function it returns moves the
   * request's stamp to the moment it is really sent (after database work that may have queued
   * behind other writes): the provider counts it when it arrives. A later stamp only makes the
   * limiter more careful, never less.
   */
  async take(): Promise<() => void> {
    for (;;) {
      const now = this.clock();
      this.#recent = this.#recent.filter((r) => r.at > now - this.#windowMs);
      if (this.#recent.length < this.perSecond) {
        const slot = { at: now };
        this.#recent.push(slot);
        return () => {
          slot.at = Math.max(slot.at, this.clock());
        };
      }
      const oldest = Math.min(...this.#recent.map((r) => r.at));
      await this.sleep(oldest + this.#windowMs - now);
    }
  }
}

const WIDEN_MS = 50;
const MAX_WINDOW_MS = 2000;
