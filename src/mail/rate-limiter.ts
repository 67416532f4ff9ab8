/**
 * At most `perSecond` requests in any one-second window (the provider's limit is per second). The
 * window is a little longer than a second because the provider counts arrivals, and network
 * jitter can bring two requests sent a second apart closer together.
 */
export class RateLimiter {
  #recent: number[] = [];
  constructor(
    readonly perSecond: number,
    private readonly clock: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly windowMs = 1100,
  ) {}

  /** Resolves when one more request may be made, and counts it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.#recent = this.#recent.filter((at) => at > now - this.windowMs);
      if (this.#recent.length < this.perSecond) {
        this.#recent.push(now);
        return;
      }
      await this.sleep(this.#recent[0]! + this.windowMs - now);
    }
  }
}
