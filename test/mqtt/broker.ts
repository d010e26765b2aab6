// Mosquitto for the tests: Debian's broker (the one Home Assistant's add-on runs) as a child
// process with a generated config on 127.0.0.1, never the system service; and an `mqtt`
// client that records what a Home Assistant instance would receive.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mqtt from 'mqtt';

export const MOSQUITTO = process.env.MOSQUITTO_PATH || '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A broker on `port` (not started yet): persistence off, anonymous clients, 127.0.0.1 only. */
export function mosquitto(port: number): Broker {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  let child: ChildProcess | undefined;
  let output = '';
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(port))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`mosquitto did not start on ${port}:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    logs: () => output,
  };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

/** An MQTT client playing Home Assistant: subscribes to the discovery prefix and the bridge's topics. */
export class HomeAssistant {
  readonly received: Received[] = [];
  /** What the broker retains as far as this client knows (empty payload = removed). */
  readonly retained = new Map<string, string>();
  private client: mqtt.MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly topics: string[],
  ) {}

  async connect(): Promise<void> {
    const client = mqtt.connect(this.url, { reconnectPeriod: 300, connectTimeout: 5000, clientId: `ha-test-${process.pid}-${Date.now()}` });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const text = payload.toString('utf8');
      this.received.push({ topic, payload: text, retain: packet.retain, at: Date.now() });
      if (text === '') this.retained.delete(topic);
      else if (packet.retain || !topic.endsWith('/event')) this.retained.set(topic, text);
    });
    client.on('connect', () => {
      client.subscribe(this.topics, { qos: 1 });
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cannot connect to ${this.url}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  publish(topic: string, payload: string, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.client) return reject(new Error('not connected'));
      this.client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  mark(): number {
    return this.received.length;
  }

  since(from: number): Received[] {
    return this.received.slice(from);
  }

  /** Resolves once `pred` holds (checked every 100 ms), else rejects after `ms` saying what was awaited. */
  async until(pred: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true);
  }
}
