#!/usr/bin/env node
// abm365-simulator: a DSM look-alike with Active Backup for Microsoft 365, for flows and tests.

import { Simulator, type SimulatorOptions } from './index';

export const USAGE = `Usage: abm365-simulator [--port 5001] [--https] [--host 127.0.0.1] [--user admin]
                        [--password synology] [--run-seconds 20] [--fail-every N] [--tasks seed|demo]
                        [--no-encryption]  (a NAS without SYNO.API.Encryption: logins only as plain forms)`;

export type CliParse = { options: SimulatorOptions } | { help: true } | { error: string };

function numberArg(name: string, raw: string | undefined, integer: boolean): number | string {
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) return `${name} needs a ${integer ? 'non-negative integer' : 'non-negative number'}`;
  return n;
}

/** Command-line arguments -> simulator options (pure). Accepts --name value and --name=value. */
export function parseArgs(argv: string[]): CliParse {
  const options: SimulatorOptions = { port: 5001 };
  const args: string[] = [];
  for (const a of argv) {
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) args.push(a.slice(0, eq), a.slice(eq + 1));
    else args.push(a);
  }
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = (): string | undefined => args[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return { help: true };
      case '--https':
        options.https = true;
        break;
      case '--no-encryption':
        options.encryption = false;
        break;
      case '--port': {
        const n = numberArg('--port', value(), true);
        if (typeof n === 'string' || n > 65535) return { error: '--port needs a port number 0-65535' };
        options.port = n;
        break;
      }
      case '--host': {
        const v = value();
        if (!v) return { error: '--host needs an address' };
        options.host = v;
        break;
      }
      case '--user': {
        const v = value();
        if (!v) return { error: '--user needs a name' };
        options.user = v;
        break;
      }
      case '--password': {
        const v = value();
        if (v === undefined) return { error: '--password needs a value' };
        options.password = v;
        break;
      }
      case '--run-seconds': {
        const n = numberArg('--run-seconds', value(), false);
        if (typeof n === 'string') return { error: n };
        options.runSeconds = n;
        break;
      }
      case '--fail-every': {
        const n = numberArg('--fail-every', value(), true);
        if (typeof n === 'string') return { error: n };
        options.failEvery = n;
        break;
      }
      case '--tasks': {
        const v = value();
        if (v !== 'seed' && v !== 'demo') return { error: '--tasks needs seed or demo' };
        options.tasks = v;
        break;
      }
      default:
        return { error: `unknown argument: ${flag}` };
    }
  }
  return { options };
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if ('error' in parsed) {
    process.stderr.write(`abm365-simulator: ${parsed.error}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const sim = await Simulator.start(parsed.options);
  process.stdout.write(`abm365-simulator listening on ${sim.url} (user ${parsed.options.user ?? 'admin'})\n`);
  if (sim.fingerprint256) process.stdout.write(`SHA-256 fingerprint: ${sim.fingerprint256}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sim.stop().then(
      () => process.stdout.write('abm365-simulator stopped\n'),
      (e: unknown) => {
        process.stderr.write(`abm365-simulator: ${String(e)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`abm365-simulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
