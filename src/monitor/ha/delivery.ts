// Delivery confirmation of the retained state topics. Node-RED's mqtt out drops what it gets
// while its broker connection is down, so a state counts as delivered only when its live echo
// comes back through the mqtt in (msg.retain false). A retained replay (msg.retain true, what
// the broker hands out on subscribe) may predate this start: it confirms nothing, and one that
// differs from what the node holds calls for a full publish, as does a state left unconfirmed
// for CONFIRM_WITHIN_MS (at most one such full publish per UNCONFIRMED_EVERY_MS).
// Pure bookkeeping with the clock passed in; the node does the publishing and the timers.

export const CONFIRM_WITHIN_MS = 30_000;
export const UNCONFIRMED_EVERY_MS = 60_000;
/** Full publishes asked for by differing echoes are spaced at least this far apart. */
export const DIFFERS_EVERY_MS = 10_000;

export type EchoVerdict =
  /** A live echo of a payload we sent: delivered. */
  | 'confirmed'
  /** The same as what we hold: nothing to do (a replay, or a repeated echo). */
  | 'same'
  /** Differs from what we hold: the broker has something else, publish everything again. */
  | 'differs'
  /** A topic we hold nothing for. */
  | 'unknown';

interface Pending {
  /** Payloads sent and not yet echoed, oldest first. */
  payloads: string[];
  /** When the oldest of them was sent. */
  since: number;
}

export class Delivery {
  /** The last payload published per state topic (what the broker should retain). */
  private readonly held = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private lastUnconfirmedPublish = -Infinity;
  private lastDiffersPublish = -Infinity;
  private differsAt: number | undefined;
  /** Full publishes for unconfirmed states since the last confirmation (the mqtt in may be missing). */
  private rounds = 0;

  /** Records a retained state publish. */
  sent(topic: string, payload: string, at: number): void {
    this.held.set(topic, payload);
    const p = this.pending.get(topic);
    if (p === undefined) this.pending.set(topic, { payloads: [payload], since: at });
    else p.payloads.push(payload);
  }

  /** The node published an empty payload on the topic (removal): nothing held, nothing to confirm. */
  forget(topic: string): void {
    this.held.delete(topic);
    this.pending.delete(topic);
  }

  /** Forgets everything (after `remove`: nothing is published until the next full publish). */
  clear(): void {
    this.held.clear();
    this.pending.clear();
    this.differsAt = undefined;
  }

  holds(topic: string): boolean {
    return this.held.has(topic);
  }

  /** Full publishes made because nothing came back, since the last confirmation. */
  get unconfirmedRounds(): number {
    return this.rounds;
  }

  /** Topics published and not yet confirmed. */
  get unconfirmed(): number {
    return this.pending.size;
  }

  /** A message that came back on a state topic. `retained`: the mqtt in's msg.retain. */
  echo(topic: string, payload: string, retained: boolean, at: number): EchoVerdict {
    const held = this.held.get(topic);
    const p = this.pending.get(topic);
    if (!retained && p !== undefined) {
      const i = p.payloads.lastIndexOf(payload);
      if (i >= 0) {
        p.payloads.splice(0, i + 1);
        if (p.payloads.length === 0) this.pending.delete(topic);
        else p.since = at;
        this.rounds = 0;
        return 'confirmed';
      }
    }
    if (held === undefined) return 'unknown';
    if (payload === held) return 'same';
    if (this.differsAt === undefined) this.differsAt = Math.max(at, this.lastDiffersPublish + DIFFERS_EVERY_MS);
    return 'differs';
  }

  /**
   * Whether a full publish is due now: 'differs' (an echo or replay disagreed), 'unconfirmed'
   * (a state unconfirmed for 30 s, at most one a minute), or null.
   */
  due(at: number): 'differs' | 'unconfirmed' | null {
    if (this.differsAt !== undefined && at >= this.differsAt) return 'differs';
    const oldest = this.oldestPending();
    if (oldest !== undefined && at - oldest >= CONFIRM_WITHIN_MS && at - this.lastUnconfirmedPublish >= UNCONFIRMED_EVERY_MS) return 'unconfirmed';
    return null;
  }

  /** When `due` may next say yes (Unix ms), or undefined when nothing waits. */
  nextCheck(at: number): number | undefined {
    const times: number[] = [];
    if (this.differsAt !== undefined) times.push(this.differsAt);
    const oldest = this.oldestPending();
    if (oldest !== undefined) times.push(Math.max(oldest + CONFIRM_WITHIN_MS, this.lastUnconfirmedPublish + UNCONFIRMED_EVERY_MS));
    return times.length === 0 ? undefined : Math.max(at, Math.min(...times));
  }

  /** A full publish went out; `why` is what asked for it ('differs', 'unconfirmed', or anything else). */
  fullPublished(at: number, why: string): void {
    if (why === 'unconfirmed') {
      this.lastUnconfirmedPublish = at;
      this.rounds += 1;
    }
    if (why === 'differs') this.lastDiffersPublish = at;
    this.differsAt = undefined;
  }

  private oldestPending(): number | undefined {
    let oldest: number | undefined;
    for (const p of this.pending.values()) if (oldest === undefined || p.since < oldest) oldest = p.since;
    return oldest;
  }
}
