/** A clock tests move by hand. */
export class TestClock {
  #ms: number;
  constructor(iso = '2026-11-23T10:00:00.000Z') {
    this.#ms = Date.parse(iso);
  }
  now = (): Date => new Date(this.#ms);
  set(iso: string): void {
    this.#ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}
