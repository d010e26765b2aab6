// What every suite with a real Node-RED process shares (test/e2e, test/mqtt, test/browser):
// a userDir with the packed package, Node-RED started on it, and the teardown (a failed test
// prints the tail of the Node-RED log; at the end the clients close, Node-RED stops, then what
// it talked to, and the userDir is removed).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  freePort,
  installUserDir,
  packPackage,
  repoRoot,
  startNodeRed,
  stopAll,
  writeSettings,
  type Comms,
  type NodeRedProcess,
  type SettingsOptions,
} from '../../scripts/lib/nodered';

/** A fresh userDir in the OS temp dir (named `prefix`...) with the packed package installed, as users install it. */
export async function packedUserDir(prefix: string): Promise<string> {
  const tarball = await packPackage(repoRoot);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    await installUserDir(dir, tarball);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** Node-RED on a free port of 127.0.0.1, with `settings` written into `userDir` first. */
export async function startOnFreePort(userDir: string, settings: Omit<SettingsOptions, 'port'>, env?: Record<string, string>): Promise<NodeRedProcess> {
  const port = await freePort();
  writeSettings(userDir, { ...settings, port });
  return startNodeRed({ userDir, port, env });
}

/** What the suite has running, read when each hook runs (the suite's `let`s change as it goes). */
export interface Running {
  nr?: NodeRedProcess;
  comms?: Comms;
  userDir?: string;
  /** Stopped after Node-RED, in this order: what it talks to (simulators, a broker). */
  servers?: ({ stop(): Promise<unknown> } | undefined)[];
}

export interface TeardownOptions {
  /** How many characters of the Node-RED log a failed test prints. */
  logTail?: number;
  /** Runs first after a failed test (a screenshot), before the log is printed. */
  onFailure?: (test: Mocha.Test) => Promise<unknown> | undefined;
  /** Printed after the Node-RED log when a test failed (another process's log). */
  moreLog?: () => string;
  /** Runs first in `after`, before Node-RED stops: its clients close (a browser, an MQTT client). */
  closeClients?: () => Promise<unknown> | undefined;
}

/** Registers the afterEach and after hooks in the describe that calls it. */
export function tearDownNodeRed(running: () => Running, options: TeardownOptions = {}): void {
  const { logTail = 4000, onFailure, moreLog, closeClients } = options;

  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    await onFailure?.(test);
    const { nr } = running();
    if (nr) console.log(`--- Node-RED log (tail) ---\n${nr.logs().slice(-logTail)}${moreLog ? `\n${moreLog()}` : ''}`);
  });

  after(async function () {
    this.timeout(30_000);
    await closeClients?.();
    const { nr, comms, userDir, servers = [] } = running();
    await comms?.close();
    await nr?.stop();
    for (const server of servers) await server?.stop();
    await stopAll();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });
}
