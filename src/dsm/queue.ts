// A FIFO limit on requests in flight to one NAS.

export type Release = () => void;

export class RequestQueue {
  private active = 0;
  private readonly waiting: Array<{ resolve: (r: Release) => void; reject: (e: Error) => void }> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A slot now, or undefined when all are taken (then acquire() and wait in line). */
  tryAcquire(): Release | undefined {
    if (this.active >= this.max) return undefined;
    this.active++;
    return this.makeRelease();
  }

  /** Resolves with a release function once a slot is free; call it exactly when done. */
  acquire(): Promise<Release> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.makeRelease());
    }
    return new Promise<Release>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Fail everything still waiting (slots in use stay in use until released). */
  rejectWaiting(error: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.resolve(this.makeRelease());
      else this.active--;
    };
  }
}
