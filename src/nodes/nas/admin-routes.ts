// The NAS dialog's admin routes (Test connection, Pair, the task picker; README "Connecting
// to your NAS"), behind Node-RED's admin permissions, registered once per admin app. Test
// and Pair use a temporary client, never the running one, so that a refused "Test
// connection" cannot start the running flows' login back-off.

import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { listTasks } from '../../abm';
import { DsmClient, redact } from '../../dsm/client';
import { isDsmError } from '../../dsm/errors';
import type { ConnectionSettings } from '../../dsm/options';
import type { DsmCaller } from '../../dsm/types';
import { getNas, NAS_TYPE, type NasCredentials } from '../shared/config';
import { closeBounded, nasClientOptions } from './client-options';
import { mergeCredentials, text, type TypedCredentials } from './credentials';

/** What the dialog posts: its settings, credentials as typed, the config node's id, a code. */
interface DialogValues extends ConnectionSettings, TypedCredentials {
  id?: unknown;
  otp?: unknown;
}

interface TaskChoice {
  task_id: number;
  task_name: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** EINVALID is the dialog's fault (400); anything else is the NAS's answer (502). */
function failStatus(err: unknown): number {
  return isDsmError(err) && err.code === 'EINVALID' ? 400 : 502;
}

async function taskList(caller: DsmCaller): Promise<TaskChoice[]> {
  const data = await listTasks(caller);
  return data.tasks.map((t) => ({ task_id: Number(t.task_id), task_name: String(t.task_name) }));
}

// A runtime has one admin app; the test helper makes a new one for every load.
const registered = new WeakSet<object>();

export function registerAdminRoutes(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (!app || registered.has(app)) return;
  registered.add(app);
  const read = RED.auth.needsPermission(`${NAS_TYPE}.read`);
  const write = RED.auth.needsPermission(`${NAS_TYPE}.write`);

  const credentialsOf = (body: DialogValues, withToken: boolean): NasCredentials => {
    const id = text(body.id);
    const stored = (id ? (RED.nodes.getCredentials(id) as NasCredentials | undefined) : undefined) ?? {};
    return mergeCredentials(body, stored, withToken);
  };

  /** Every secret the request could have put into a message: removed before it goes to the editor. */
  const clean = (body: DialogValues, message: string): string => {
    const creds = credentialsOf(body, true);
    return redact(message, [creds.password, creds.deviceToken, text(body.otp)]);
  };

  const answer = (res: Response, status: number, body: unknown): void => {
    res.status(status).json(body);
  };

  const withTemporaryClient = async <T>(body: DialogValues, withToken: boolean, work: (c: DsmClient) => Promise<T>): Promise<T> => {
    const c = new DsmClient(nasClientOptions(body, credentialsOf(body, withToken), body.id));
    try {
      return await work(c);
    } finally {
      await closeBounded(c);
    }
  };

  app.post(`/${NAS_TYPE}/test`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    withTemporaryClient(body, true, (c) => c.testConnection())
      .then((r) => answer(res, 200, { ok: r.ok, message: clean(body, r.message) }))
      .catch((err: unknown) => answer(res, 200, { ok: false, message: clean(body, errorText(err)) }));
  });

  app.post(`/${NAS_TYPE}/pair`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    const otp = text(body.otp).replace(/\s+/g, '');
    if (!otp) {
      answer(res, 200, { ok: false, message: 'enter the one-time code from the authenticator app' });
      return;
    }
    // pair() never resolves without a token: an empty one is an error that says so.
    withTemporaryClient(body, false, (c) => c.pair(otp))
      .then((deviceToken) => answer(res, 200, { ok: true, message: 'paired: deploy to keep the device token', deviceToken }))
      .catch((err: unknown) => answer(res, 200, { ok: false, message: clean(body, errorText(err)) }));
  });

  app.get(`/${NAS_TYPE}/:id/tasks`, read, (req: Request, res: Response) => {
    const nas = getNas(RED, text(req.params.id));
    if (!nas) {
      answer(res, 404, { ok: false, message: 'unknown NAS config node: deploy it first' });
      return;
    }
    Promise.resolve()
      .then(() => taskList(nas.client()))
      .then((tasks) => answer(res, 200, tasks))
      .catch((err: unknown) => {
        const creds = nas.credentials ?? {};
        answer(res, failStatus(err), { ok: false, message: redact(errorText(err), [creds.password, creds.deviceToken]) });
      });
  });

  app.post(`/${NAS_TYPE}/tasks`, write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as DialogValues;
    withTemporaryClient(body, true, (c) => taskList(c))
      .then((tasks) => answer(res, 200, tasks))
      .catch((err: unknown) => answer(res, failStatus(err), { ok: false, message: clean(body, errorText(err)) }));
  });
}
