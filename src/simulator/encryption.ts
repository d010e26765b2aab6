// SYNO.API.Encryption of the simulated NAS (docs/protocol.md §2 "Encrypted login over plain
// HTTP"): one 4096-bit RSA key per process, handed out as a hex modulus by `getinfo`, and the
// decryption of a login's `__cIpHeRtExT={"rsa":...,"aes":...}` field back into form parameters.

import { constants, createDecipheriv, generateKeyPair, privateDecrypt, type KeyObject } from 'node:crypto';
import { evpBytesToKey } from '../dsm/encryption';
import { decodeForm } from './request';

export const ENCRYPTION_API = 'SYNO.API.Encryption';
/** The form field names a real NAS answers in getinfo (clients must use the answered names). */
export const CIPHER_KEY = '__cIpHeRtExT';
export const CIPHER_TOKEN = '__cIpHeRtOkEn';
/** Big enough for the reference client's 501-character passphrase (PKCS#1 v1.5 adds 11 bytes). */
export const KEY_BITS = 4096;
/** How long a server_time from getinfo is accepted as the login's cipher token. */
export const SERVER_TIME_TTL_SECONDS = 600;

export interface ServerKey {
  /** The RSA modulus, lower-case hex, as getinfo's `public_key`. */
  publicKeyHex: string;
  privateKey: KeyObject;
}

let shared: Promise<ServerKey> | undefined;
let ready: ServerKey | undefined;

/** The process's key: generated on first use (about a second, off the event loop), then shared. */
export function serverKey(): Promise<ServerKey> {
  if (!shared) {
    shared = new Promise<ServerKey>((resolve, reject) => {
      generateKeyPair('rsa', { modulusLength: KEY_BITS, publicExponent: 0x10001 }, (err, publicKey, privateKey) => {
        if (err) return reject(err);
        const n = publicKey.export({ format: 'jwk' }).n ?? '';
        ready = { publicKeyHex: Buffer.from(n, 'base64url').toString('hex'), privateKey };
        resolve(ready);
      });
    });
    // A failed generation is retried by the next caller instead of failing every later login.
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** The key if it exists already (no waiting). */
export function readyServerKey(): ServerKey | undefined {
  return ready;
}

/** getinfo's `data`. */
export function getinfoData(key: ServerKey, serverTime: number): Record<string, unknown> {
  return { public_key: key.publicKeyHex, cipherkey: CIPHER_KEY, ciphertoken: CIPHER_TOKEN, server_time: serverTime };
}

/**
 * The message inside a PKCS#1 v1.5 encryption block (00 02, at least 8 non-zero padding
 * bytes, 00, message), or undefined when the block is not one. Done here because Node 20
 * refuses RSA_PKCS1_PADDING for private decryption since the Marvin fix.
 */
export function unpadPkcs1v15(block: Buffer): Buffer | undefined {
  if (block.length < 11 || block[0] !== 0x00 || block[1] !== 0x02) return undefined;
  const end = block.indexOf(0x00, 2);
  if (end < 10) return undefined;
  return block.subarray(end + 1);
}

/** RSA PKCS#1 v1.5 decryption of base64 ciphertext with the raw RSA operation, then unpadding. */
export function rsaDecrypt(base64: string, privateKey: KeyObject): Buffer | undefined {
  const size = (privateKey.asymmetricKeyDetails?.modulusLength ?? KEY_BITS) / 8;
  const cipher = Buffer.from(base64, 'base64');
  if (cipher.length === 0 || cipher.length > size) return undefined;
  const full = cipher.length === size ? cipher : Buffer.concat([Buffer.alloc(size - cipher.length), cipher]);
  try {
    return unpadPkcs1v15(privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, full));
  } catch {
    return undefined;
  }
}

/** OpenSSL `enc -aes-256-cbc` data ("Salted__" + salt + ciphertext, base64) -> plaintext bytes. */
export function opensslDecrypt(base64: string, passphrase: Buffer): Buffer | undefined {
  const all = Buffer.from(base64, 'base64');
  if (all.length < 32 || all.subarray(0, 8).toString('latin1') !== 'Salted__') return undefined;
  const { key, iv } = evpBytesToKey(passphrase, all.subarray(8, 16));
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    return Buffer.concat([decipher.update(all.subarray(16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export type DecryptedLogin = { ok: true; params: Record<string, string> } | { ok: false; reason: string };

/** The login parameters inside a `<cipherkey>` field's value (JSON `{"rsa": ..., "aes": ...}`). */
export function decryptLoginField(value: string, privateKey: KeyObject): DecryptedLogin {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'the cipher field is not JSON' };
  }
  const o = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (typeof o.rsa !== 'string' || typeof o.aes !== 'string') return { ok: false, reason: 'the cipher field lacks rsa or aes' };
  const passphrase = rsaDecrypt(o.rsa, privateKey);
  if (!passphrase) return { ok: false, reason: 'the rsa part does not decrypt with this key' };
  const plain = opensslDecrypt(o.aes, passphrase);
  if (!plain) return { ok: false, reason: 'the aes part does not decrypt with the passphrase' };
  return { ok: true, params: decodeForm(plain.toString('utf8')) };
}

/** The server_times getinfo handed out; a login's cipher token must be one of them, still recent. */
export class ServerTimes {
  private readonly issued = new Set<number>();

  issue(nowSec: number): number {
    this.prune(nowSec);
    this.issued.add(nowSec);
    return nowSec;
  }

  isRecent(token: string | undefined, nowSec: number): boolean {
    if (token === undefined || !/^\d+$/.test(token)) return false;
    const t = Number(token);
    return this.issued.has(t) && nowSec - t <= SERVER_TIME_TTL_SECONDS;
  }

  private prune(nowSec: number): void {
    for (const t of this.issued) if (nowSec - t > SERVER_TIME_TTL_SECONDS) this.issued.delete(t);
  }
}
