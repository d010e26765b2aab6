// Per-client agents: keep-alive, and the TLS mode of this NAS only (never process-wide).

import * as http from 'http';
import * as https from 'https';
import * as tls from 'tls';
import type { Duplex } from 'stream';
import { FREE_SOCKET_TIMEOUT_MS } from './constants';
import type { Protocol, TlsMode } from './types';

/** The pinned certificate did not match: the socket was closed before any request byte. */
export class FingerprintMismatchError extends Error {
  readonly code = 'EFINGERPRINT';
  constructor(
    readonly expected: string,
    readonly seen: string,
  ) {
    super(`certificate fingerprint mismatch: expected ${expected}, seen ${seen}`);
    this.name = 'FingerprintMismatchError';
  }
}

class HandshakeError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * An https.Agent that trusts exactly one certificate, by its SHA-256 fingerprint. The socket
 * is handed to the HTTP request only after the handshake and the check, so on a mismatch not
 * one request byte is written. TLS sessions are not cached: every connection shows its
 * certificate.
 */
export class FingerprintAgent extends https.Agent {
  private readonly pending = new Set<tls.TLSSocket>();

  constructor(
    private readonly expected: string,
    private readonly handshakeTimeoutMs: number,
    options: https.AgentOptions = {},
  ) {
    super({ ...options, rejectUnauthorized: false, maxCachedSessions: 0 });
  }

  /** The mismatch for this socket, or undefined when its certificate is the pinned one. */
  check(socket: tls.TLSSocket): FingerprintMismatchError | undefined {
    const seen = socket.getPeerCertificate()?.fingerprint256 ?? '';
    return seen.toUpperCase() === this.expected ? undefined : new FingerprintMismatchError(this.expected, seen || '(none)');
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const created = super.createConnection(options);
    if (!(created instanceof tls.TLSSocket)) throw new Error('expected a TLS socket');
    const socket = created;
    if (!callback) {
      // Synchronous use: still close the socket on a mismatch, as early as TLS allows.
      socket.once('secureConnect', () => {
        const err = this.check(socket);
        if (err) socket.destroy(err);
      });
      return socket;
    }
    this.pending.add(socket);
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      this.pending.delete(socket);
      socket.setTimeout(0);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      socket.removeListener('timeout', onTimeout);
      if (err) socket.destroy();
      callback(err, socket);
    };
    const onError = (e: Error): void => finish(e);
    const onClose = (): void => finish(new HandshakeError('socket closed during the TLS handshake', 'ECONNRESET'));
    const onTimeout = (): void => finish(new HandshakeError('TLS handshake timed out', 'ETIMEDOUT'));
    socket.once('secureConnect', () => finish(this.check(socket) ?? null));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('timeout', onTimeout);
    socket.setTimeout(this.handshakeTimeoutMs);
    return undefined;
  }

  override destroy(): void {
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    super.destroy();
  }
}

export interface AgentSettings {
  protocol: Protocol;
  tlsMode: TlsMode;
  /** Normalised (`AB:CD:…`) pin, required for tlsMode 'fingerprint'. */
  fingerprint?: string;
  timeoutMs: number;
}

/** The one agent a client uses for its NAS. */
export function createAgent(settings: AgentSettings): http.Agent {
  // TCP keep-alive probes after 60 s idle: what axios sets on every request's socket. With
  // Node's default (1 s) the agent and axios would switch it back and forth (two setsockopt
  // calls per request).
  const common = { keepAlive: true, keepAliveMsecs: 60_000, timeout: FREE_SOCKET_TIMEOUT_MS };
  if (settings.protocol === 'http') return new http.Agent(common);
  switch (settings.tlsMode) {
    case 'insecure':
      return new https.Agent({ ...common, rejectUnauthorized: false });
    case 'fingerprint':
      if (!settings.fingerprint) throw new Error('fingerprint mode needs a fingerprint');
      return new FingerprintAgent(settings.fingerprint, settings.timeoutMs, common);
    case 'verify':
    default:
      return new https.Agent({ ...common, rejectUnauthorized: true });
  }
}
