// Config node `abm365-nas`: one DSM client (one session, one request queue) and one poller per
// NAS, shared by every flow node that selects it. Flow nodes register to follow its connection
// state (like Node-RED's MQTT broker node). The editor's admin routes live here too, registered
// once per runtime and permission-checked; they use a temporary client, never the running one,
// so that a refused "Test connection" cannot start the running flows' login back-off.
import type { Request, Response } from 'express';
import type { NodeAPI, NodeDef } from 'node-red';
import { listTasks } from '../abm';
import { DsmClient } from '../dsm/client';
import { DsmError, invalid, isDsmError } from '../dsm/errors';
import type { ConnectionState, DsmClientOptions, Protocol, TlsMode } from '../dsm/types';
import { Poller } from '../monitor';
import type { NasConfigNode, NasCredentials } from './shared/config';
import { getNas, NAS_TYPE, testMinIntervalMs } from './shared/config';
import { firstSet, readChoice, readNumber } from '../abm/validate';
import type { ConnectionDetail, ConnectionListener } from './shared/status';

interface NasSettings {
  host?: unknown;
  port?: unknown;
  protocol?: unknown;
  tlsMode?: unknown;
  fingerprint?: unknown;
  timeout?: unknown;
  maxConcurrent?: unknown;
  version?: unknown;
}

type NasDef = NodeDef & NasSettings;

/** The editor's placeholder for "a secret is stored: use it". */
const STORED = '__PWRD__';
const CLOSE_BOUND_MS = 2500;


function deviceName(id: unknown): string {
  return typeof id === 'string' && id ? `node-red-abm365-${id}` : 'node-red-abm365';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** Client options from settings + credentials; bad settings throw EINVALID naming the value. */
function clientOptions(settings: NasSettings, creds: NasCredentials, id: unknown): DsmClientOptions {
  const host = text(settings.host).trim();
  if (!host) throw invalid('NAS host is empty: enter the host name or IP address of the NAS');
  const protocol = readChoice<Protocol>(settings.protocol, 'protocol', ['https', 'http'], 'https');
  const tlsMode = readChoice<TlsMode>(settings.tlsMode, 'tlsMode', ['verify', 'fingerprint', 'insecure'], 'verify');
  const fingerprint = text(settings.fingerprint).trim();
  if (protocol === 'https' && tlsMode === 'fingerprint' && !fingerprint) {
    throw invalid('fingerprint is empty: enter the SHA-256 fingerprint of the NAS certificate, or choose another TLS mode');
  }
  const port = readNumber(settings.port, 'port', { min: 1, max: 65535, integer: true, fallback: protocol === 'http' ? 5000 : 5001 });
  const timeout = readNumber(settings.timeout, 'timeout (s)', { min: 1, max: 3600, fallback: 30 });
  const maxConcurrent = readNumber(settings.maxConcurrent, 'maxConcurrent', { min: 1, max: 64, integer: true, fallback: 4 });
  const username = text(creds.username);
  if (!username) throw invalid('NAS user name is empty: enter the DSM account in the NAS config node');
  const token = text(creds.deviceToken);
  return {
    host,
    port,
    protocol,
    tlsMode,
    fingerprint: fingerprint || undefined,
    timeoutMs: Math.round(timeout * 1000),
    maxConcurrent,
    username,
    password: text(creds.password),
    deviceToken: token || undefined,
    deviceName: deviceName(id),
  };
}

/** Remove any secret that might have slipped into a text meant for the editor. */
function scrub(message: string, secrets: (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out;
}

function errorText(err: unknown): string {
  if (isDsmError(err)) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

// Admin routes are registered once per admin app (a runtime has one; the test helper makes a
// new one for every load).
const routesRegistered = new WeakSet<object>();

const init = function (RED: NodeAPI): void {
  function NasNode(this: NasConfigNode, def: NasDef): void {
    RED.nodes.createNode(this, def);
    setup(this, def);
  }

  function setup(node: NasConfigNode, def: NasDef): void {
    const settings: NasSettings = { ...def };
    const listeners = new Map<string, ConnectionListener>();
    let client: DsmClient | undefined;
    let poller: Poller | undefined;
    let state: ConnectionState = 'idle';
    let detail: ConnectionDetail | undefined;
    let closing = false;

    const onState = (next: ConnectionState, d?: ConnectionDetail): void => {
      state = next;
      detail = d;
      for (const l of listeners.values()) l.connection(next, d);
    };

    const getClient = (): DsmClient => {
      if (closing) throw new DsmError('the NAS config node is closing', 'ECLOSED');
      if (!client) {
        const options = clientOptions(settings, node.credentials ?? {}, node.id);
        options.log = (level, line) => {
          if (level === 'warn') node.warn(line);
          else node.debug(line);
        };
        client = new DsmClient(options);
        client.on('state', onState);
      }
      return client;
    };

    const getPoller = (): Poller => {
      if (!poller) {
        // Test-only override of the 10 s floor (ABM365_MIN_INTERVAL_MS, see shared/config.ts).
        const min = testMinIntervalMs();
        poller = new Poller(getClient(), min !== undefined ? { minIntervalMs: min } : {});
      }
      return poller;
    };

    Object.defineProperties(node, {
      connectionState: { get: () => state, enumerable: false },
      connectionDetail: { get: () => detail, enumerable: false },
    });
    node.client = getClient;
    node.poller = getPoller;
    node.register = (id: string, listener: ConnectionListener): void => {
      listeners.set(id, listener);
      if (state !== 'idle') listener.connection(state, detail);
    };
    node.deregister = (id: string): void => {
      listeners.delete(id);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      const p = poller;
      const c = client;
      poller = undefined;
      client = undefined;
      const work = (async () => {
        p?.close();
        if (c) {
          try {
            await c.close();
          } finally {
            c.off('state', onState);
          }
        }
      })();
      void bounded(work, CLOSE_BOUND_MS).then(() => {
        c?.off('state', onState);
        listeners.clear();
        done();
      });
    });
  }

  RED.nodes.registerType<NasConfigNode, NasDef, NasSettings, NasCredentials>(NAS_TYPE, NasNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      deviceToken: { type: 'password' },
    },
  });

  registerAdminRoutes(RED);
};

interface DialogValues extends NasSettings {
  id?: unknown;
  username?: unknown;
  password?: unknown;
  deviceToken?: unknown;
  otp?: unknown;
}

function registerAdminRoutes(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (!app || routesRegistered.has(app)) return;
  routesRegistered.add(app);
  const read = RED.auth.needsPermission(`${NAS_TYPE}.read`);
  const write = RED.auth.needsPermission(`${NAS_TYPE}.write`);

  /** Dialog values with "__PWRD__"/empty secrets replaced by the stored ones of that config node. */
  const resolveCredentials = (body: DialogValues, withToken: boolean): NasCredentials => {
    const id = text(body.id);
    const stored = (id ? (RED.nodes.getCredentials(id) as NasCredentials | undefined) : undefined) ?? {};
    const pick = (given: unknown, storedValue: string | undefined): string => {
      const g = text(given);
      return g === STORED || g === '' ? text(storedValue) : g;
    };
    return {
      username: text(firstSet(body.username, stored.username)),
      password: pick(body.password, stored.password),
      deviceToken: withToken ? pick(body.deviceToken, stored.deviceToken) : undefined,
    };
  };

  const answer = (res: Response, status: number, body: unknown): void => {
    res.status(status).json(body);
  };

  const withTemporaryClient = async <T>(
    body: DialogValues,
    withToken: boolean,
    work: (c: DsmClient) => Promise<T>,
  ): Promise<T> => {
    const creds = resolveCredentials(body, withToken);
    const c = new DsmClient(clientOptions(body, creds, body.id));
    try {
      return await work(c);
    } finally {
      await bounded(c.close(), CLOSE_BOUND_MS);
    }
  };

  const secretsOf = (body: DialogValues): string[] => {
    const creds = resolveCredentials(body, true);
    return [text(creds.password), text(creds.deviceToken), text(body.otp)];
  };

  app.post(`/${NAS_TYPE}/test`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    withTemporaryClient(body, true, (c) => c.testConnection())
      .then((r) => answer(res, 200, { ok: r.ok, message: scrub(r.message, secretsOf(body)) }))
      .catch((err: unknown) => answer(res, 200, { ok: false, message: scrub(errorText(err), secretsOf(body)) }));
  });

  app.post(`/${NAS_TYPE}/pair`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    const otp = text(body.otp).replace(/\s+/g, '');
    if (!otp) {
      answer(res, 200, { ok: false, message: 'enter the one-time code from the authenticator app' });
      return;
    }
    withTemporaryClient(body, false, (c) => c.pair(otp))
      .then((deviceToken) => {
        if (!deviceToken) answer(res, 200, { ok: false, message: 'the NAS accepted the code but sent no device token' });
        else answer(res, 200, { ok: true, message: 'paired: deploy to keep the device token', deviceToken });
      })
      .catch((err: unknown) => answer(res, 200, { ok: false, message: scrub(errorText(err), secretsOf(body)) }));
  });

  const taskList = async (caller: Pick<DsmClient, 'call'>): Promise<{ task_id: number; task_name: string }[]> => {
    const data = await listTasks(caller);
    return data.tasks.map((t) => ({ task_id: Number(t.task_id), task_name: String(t.task_name) }));
  };

  const failStatus = (err: unknown): number => (isDsmError(err) && err.code === 'EINVALID' ? 400 : 502);

  app.get(`/${NAS_TYPE}/:id/tasks`, read, (req: Request, res: Response) => {
    const id = text(req.params.id);
    const nas = getNas(RED, id);
    if (!nas) {
      answer(res, 404, { ok: false, message: 'unknown NAS config node: deploy it first' });
      return;
    }
    Promise.resolve()
      .then(() => taskList(nas.client()))
      .then((tasks) => answer(res, 200, tasks))
      .catch((err: unknown) => {
        const creds = nas.credentials ?? {};
        answer(res, failStatus(err), { ok: false, message: scrub(errorText(err), [creds.password, creds.deviceToken]) });
      });
  });

  app.post(`/${NAS_TYPE}/tasks`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    withTemporaryClient(body, true, (c) => taskList(c))
      .then((tasks) => answer(res, 200, tasks))
      .catch((err: unknown) => answer(res, failStatus(err), { ok: false, message: scrub(errorText(err), secretsOf(body)) }));
  });
}

export = init;
