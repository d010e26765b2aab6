// Encrypted login fields for plain HTTP (docs/protocol.md §2 "Encrypted login"): the login
// parameters go AES-256-CBC encrypted in OpenSSL's "Salted__" format, the passphrase RSA
// encrypted with the NAS's public key. Pure functions over node:crypto.

import * as crypto from 'node:crypto';

const PASSPHRASE_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%^&*()_+-/';
const PASSPHRASE_LENGTH = 501;
const SALT_MAGIC = Buffer.from('Salted__', 'latin1');
const SALT_BYTES = 8;
const KEY_BYTES = 32;
const IV_BYTES = 16;

export interface CipherFields {
  rsa: string;
  aes: string;
}

/** OpenSSL EVP_BytesToKey with MD5 and one round: 32 key bytes and 16 IV bytes. */
export function evpBytesToKey(passphrase: Buffer, salt: Buffer): { key: Buffer; iv: Buffer } {
  const blocks: Buffer[] = [];
  let total = 0;
  let previous = Buffer.alloc(0);
  while (total < KEY_BYTES + IV_BYTES) {
    previous = crypto.createHash('md5').update(Buffer.concat([previous, passphrase, salt])).digest();
    blocks.push(previous);
    total += previous.length;
  }
  const all = Buffer.concat(blocks);
  return { key: all.subarray(0, KEY_BYTES), iv: all.subarray(KEY_BYTES, KEY_BYTES + IV_BYTES) };
}

/** A random passphrase like the reference client's: 501 characters from its alphabet. */
export function randomPassphrase(length = PASSPHRASE_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSPHRASE_ALPHABET[crypto.randomInt(PASSPHRASE_ALPHABET.length)];
  return out;
}

/** The public key from DSM's hex modulus (exponent 65537). */
export function publicKeyFromHex(publicKeyHex: string): crypto.KeyObject {
  const hex = publicKeyHex.trim().replace(/^0x/i, '');
  if (hex.length === 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new TypeError('the public key is not a hexadecimal RSA modulus');
  }
  const modulus = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  return crypto.createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' },
    format: 'jwk',
  });
}

/** OpenSSL `enc -aes-256-cbc` format: "Salted__" + salt + ciphertext, base64. */
export function aesEncrypt(plain: string, passphrase: string, salt: Buffer = crypto.randomBytes(SALT_BYTES)): string {
  const { key, iv } = evpBytesToKey(Buffer.from(passphrase, 'utf8'), salt);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([SALT_MAGIC, salt, body]).toString('base64');
}

/** The reverse of aesEncrypt (used by the simulator and the tests). */
export function aesDecrypt(base64: string, passphrase: string): string {
  const all = Buffer.from(base64, 'base64');
  if (all.length < SALT_MAGIC.length + SALT_BYTES || !all.subarray(0, SALT_MAGIC.length).equals(SALT_MAGIC)) {
    throw new TypeError('not OpenSSL salted data');
  }
  const salt = all.subarray(SALT_MAGIC.length, SALT_MAGIC.length + SALT_BYTES);
  const { key, iv } = evpBytesToKey(Buffer.from(passphrase, 'utf8'), salt);
  const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);
  const body = all.subarray(SALT_MAGIC.length + SALT_BYTES);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/** Encrypts the form-encoded login parameters for DSM's `<cipherkey>` field. */
export function encryptLoginFields(
  encodedParams: string,
  publicKeyHex: string,
  passphrase: string = randomPassphrase(),
): CipherFields {
  const rsa = crypto
    .publicEncrypt(
      { key: publicKeyFromHex(publicKeyHex), padding: crypto.constants.RSA_PKCS1_PADDING },
      Buffer.from(passphrase, 'utf8'),
    )
    .toString('base64');
  return { rsa, aes: aesEncrypt(encodedParams, passphrase) };
}

/** The `<cipherkey>` field's value, spelled like the reference client's JSON. */
export function cipherFieldValue(fields: CipherFields): string {
  return `{"rsa": ${JSON.stringify(fields.rsa)}, "aes": ${JSON.stringify(fields.aes)}}`;
}
