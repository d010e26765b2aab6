/**
 * One status helper for every node of the package; its texts come from the message catalogs.
 *
 *     const status = new Status(node, sharedStatusText(RED));
 *     status.requesting();                 // blue dot "requesting" (count when several are in flight)
 *     status.ok('3 tasks');                // green dot "3 tasks · 14:05" once nothing is in flight
 *     status.error(err);                   // red ring naming the code, e.g. "ENOTASK" or "error 120"
 *     status.connection('error', { code: 400 }); // pushed by the config node: red ring "auth refused (400)"
 *     status.show({ fill: 'green', shape: 'ring', text: 'polled' }, 5000); // transient: cleared after 5 s
 *     status.dispose();                    // in close: clears timers (the pipeline does this for you)
 *
 * A transient status is cleared only if no newer status replaced it in the meantime.
 * A requesting, ok or error status identical to the one showing is not sent again (each status
 * goes to every open editor); no status starts a timer except a transient one.
 *
 * Texts: the ones every node shows are `abm365-nas.status.*` in the config node's catalog
 * (nodes/locales/<lang>/abm365-nas.json), read with sharedStatusText; a node's own summaries are
 * `<type>.status.*` in its catalog, read with nodeStatusText (flow.statusText in the pipeline).
 */
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { ConnectionState } from '../../dsm/types';

/** A message catalog lookup: key (without prefix) and __name__ substitutions -> text. */
export type Translate = (key: string, args?: Record<string, string | number>) => string;

/** The config node's catalog (its node set's namespace), which holds the texts every node shares. */
const SHARED_PREFIX = '@abm365/node-red-synology/abm365-nas:abm365-nas.status.';

/** Texts every node's status shares (requesting, connected, error codes...). */
export function sharedStatusText(RED: Pick<NodeAPI, '_'>): Translate {
  return remembered((key, args) => RED._(SHARED_PREFIX + key, args));
}

/** A node's own status texts, `<type>.status.<key>` in its catalog. */
export function nodeStatusText(RED: Pick<NodeAPI, '_'>, type: string): Translate {
  return remembered((key, args) => RED._(`${type}.status.${key}`, args));
}

/** Texts a lookup remembers; the oldest goes first (a new one comes at most each minute, with the time). */
export const REMEMBERED_TEXTS = 64;

/**
 * The lookup with its answers kept by key and arguments: RED._ (i18next) costs tens of
 * microseconds, and a node would otherwise pay it two or three times per message for the same
 * texts. The runtime's language is fixed while a node runs (a new node gets a new lookup).
 */
export function remembered(lookup: Translate, limit = REMEMBERED_TEXTS): Translate {
  const texts = new Map<string, string>();
  return (key, args) => {
    const id = args === undefined ? key : `${key}\u0000${JSON.stringify(args)}`;
    let text = texts.get(id);
    if (text === undefined) {
      text = lookup(key, args);
      if (texts.size >= limit) texts.delete(texts.keys().next().value as string);
      texts.set(id, text);
    }
    return text;
  };
}

export interface ConnectionDetail {
  code?: number | string;
  message?: string;
}

/** What the config node calls on every registered node when its connection changes. */
export interface ConnectionListener {
  connection(state: ConnectionState, detail?: ConnectionDetail): void;
}

type Kind = 'none' | 'requesting' | 'ok' | 'error' | 'connection' | 'custom';

export function clock(date: Date = new Date()): string {
  const hh = String(date.getHours()).padStart(2, '0');
  const mm = String(date.getMinutes()).padStart(2, '0');
  return `${hh}:${mm}`;
}

/** Short status text for an error code: string codes as they are, DSM numbers as "error N". */
export function codeText(code: unknown, t: Translate): string {
  if (typeof code === 'number') return t(code >= 400 && code <= 411 ? 'authRefused' : 'errorCode', { code });
  if (typeof code === 'string' && code) return code;
  return t('error');
}

export class Status implements ConnectionListener {
  private inFlight = 0;
  private generation = 0;
  private kind: Kind = 'none';
  /** Text of the status showing (requesting and ok statuses are told apart by kind and text). */
  private text: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly node: Pick<Node, 'status'>,
    private readonly t: Translate,
  ) {}

  /** Requests in flight right now (the pipeline counts them). */
  get pending(): number {
    return this.inFlight;
  }

  /** A request starts: blue dot, with the number in flight when more than one. */
  requesting(): void {
    this.inFlight += 1;
    this.showRequesting();
  }

  /** A request succeeded: green dot with a short summary and the time, once none is in flight. */
  ok(summary: string, at: Date = new Date()): void {
    this.release();
    if (this.inFlight > 0) {
      this.showRequesting();
      return;
    }
    const text = summary ? this.t('done', { summary, time: clock(at) }) : clock(at);
    if (this.showing('ok', text)) return;
    this.apply('ok', { fill: 'green', shape: 'dot', text });
  }

  /** A request failed: red ring naming the error's code. `counted` false: it failed before requesting(). */
  error(err: unknown, counted = true): void {
    if (counted) this.release();
    const code = err && typeof err === 'object' && 'code' in err ? (err as { code: unknown }).code : undefined;
    const text = codeText(code, this.t);
    if (this.showing('error', text)) return;
    this.apply('error', { fill: 'red', shape: 'ring', text });
  }

  /** Connection state pushed by the config node. A result status is kept while connected. */
  connection(state: ConnectionState, detail?: ConnectionDetail): void {
    switch (state) {
      case 'connecting':
        this.apply('connection', { fill: 'yellow', shape: 'ring', text: this.t('connecting') });
        break;
      case 'connected':
        if (this.inFlight > 0) this.showRequesting();
        else if (this.kind === 'connection' || this.kind === 'none') {
          this.apply('connection', { fill: 'green', shape: 'ring', text: this.t('connected') });
        }
        break;
      case 'error':
        this.apply('connection', { fill: 'red', shape: 'ring', text: codeText(detail?.code, this.t) });
        break;
      case 'idle':
      case 'closed':
        if (this.kind === 'connection') this.clear();
        break;
    }
  }

  /** Any other status; with `clearAfterMs` it is cleared later unless replaced first. */
  show(status: NodeStatus, clearAfterMs?: number): void {
    this.apply('custom', status);
    if (clearAfterMs !== undefined && clearAfterMs > 0) {
      const gen = this.generation;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.generation === gen) this.clear();
      }, clearAfterMs);
    }
  }

  clear(): void {
    this.apply('none', {});
  }

  /** Stop timers; later calls are ignored (the node is closing). */
  dispose(): void {
    this.cancelTimer();
    this.disposed = true;
  }

  private release(): void {
    if (this.inFlight > 0) this.inFlight -= 1;
  }

  private showRequesting(): void {
    const text = this.inFlight > 1 ? this.t('requestingCount', { count: this.inFlight }) : this.t('requesting');
    if (this.showing('requesting', text)) return;
    this.apply('requesting', { fill: 'blue', shape: 'dot', text });
  }

  /** This very status is showing already, and no timer is about to clear it. */
  private showing(kind: Kind, text: string): boolean {
    return this.kind === kind && this.text === text && this.timer === undefined && !this.disposed;
  }

  private apply(kind: Kind, status: NodeStatus): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.generation += 1;
    this.kind = kind;
    this.text = status.text === undefined ? undefined : String(status.text);
    this.node.status(status);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
