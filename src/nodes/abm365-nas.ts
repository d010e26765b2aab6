// Config node `abm365-nas`: one DSM client (one session, one request queue) and one poller per
// NAS, shared by every flow node that selects it. Flow nodes register to follow its connection
// state (like Node-RED's MQTT broker node). Its options: src/nodes/nas/client-options.ts; the
// dialog's admin routes: src/nodes/nas/admin-routes.ts.
import type { NodeAPI, NodeDef } from 'node-red';
import { DsmClient } from '../dsm/client';
import { DsmError } from '../dsm/errors';
import type { ConnectionSettings } from '../dsm/options';
import type { ConnectionState } from '../dsm/types';
import { Poller } from '../monitor';
import { registerAdminRoutes } from './nas/admin-routes';
import { closeBounded, nasClientOptions } from './nas/client-options';
import type { NasConfigNode, NasCredentials } from './shared/config';
import { NAS_TYPE } from './shared/config';
import type { ConnectionDetail, ConnectionListener } from './shared/status';

interface NasSettings extends ConnectionSettings {
  version?: unknown;
}

type NasDef = NodeDef & NasSettings;

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
        const options = nasClientOptions(settings, node.credentials ?? {}, node.id);
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
      if (!poller) poller = new Poller(getClient());
      return poller;
    };

    Object.defineProperties(node, {
      connectionState: { get: () => state, enumerable: false },
      connectionDetail: { get: () => detail, enumerable: false },
      // Where the NAS's web interface is (abm365-ha links Home Assistant's device page to it); never credentials.
      address: { get: () => ({ host: settings.host, port: settings.port, protocol: settings.protocol }), enumerable: false },
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
      const close = async (): Promise<void> => {
        p?.close();
        await c?.close();
      };
      void closeBounded({ close }).then(() => {
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

export = init;
