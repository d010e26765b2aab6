import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  aesDecrypt,
  aesEncrypt,
  cipherFieldValue,
  encryptLoginFields,
  evpBytesToKey,
  randomPassphrase,
} from '../../src/dsm/encryption';
import { encryptedLoginBody, readCipherInfo } from '../../src/dsm/auth';

function bigFromB64url(text: string): bigint {
  return BigInt(`0x${Buffer.from(text, 'base64url').toString('hex')}`);
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** RSA PKCS#1 v1.5 decryption by hand: Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt. */
function rsaDecryptPkcs1(cipherB64: string, jwk: crypto.JsonWebKey): Buffer {
  const n = bigFromB64url(String(jwk.n));
  const d = bigFromB64url(String(jwk.d));
  const size = Buffer.from(String(jwk.n), 'base64url').length;
  const m = modPow(BigInt(`0x${Buffer.from(cipherB64, 'base64').toString('hex')}`), d, n);
  const block = Buffer.from(m.toString(16).padStart(size * 2, '0'), 'hex');
  assert.equal(block[0], 0);
  assert.equal(block[1], 2);
  const end = block.indexOf(0, 2);
  assert.ok(end >= 10, 'at least 8 bytes of random padding');
  return block.subarray(end + 1);
}

describe('dsm encryption (encrypted login over HTTP)', () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pubJwk = publicKey.export({ format: 'jwk' });
  const privJwk = privateKey.export({ format: 'jwk' });
  const modulusHex = Buffer.from(String(pubJwk.n), 'base64url').toString('hex');

  it('evpBytesToKey matches OpenSSL (openssl enc -P -md md5)', function () {
    let openssl: string;
    try {
      openssl = execFileSync(
        'openssl',
        ['enc', '-aes-256-cbc', '-md', 'md5', '-P', '-S', '0102030405060708', '-pass', 'pass:secret phrase'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
    } catch {
      this.skip(); // no openssl binary on this machine: the round trip below still checks the format
      return;
    }
    const key = /key\s*=\s*([0-9A-F]+)/i.exec(openssl)?.[1];
    const iv = /iv\s*=\s*([0-9A-F]+)/i.exec(openssl)?.[1];
    const derived = evpBytesToKey(Buffer.from('secret phrase'), Buffer.from('0102030405060708', 'hex'));
    assert.equal(derived.key.toString('hex').toUpperCase(), key);
    assert.equal(derived.iv.toString('hex').toUpperCase(), iv);
  });

  it('aes output is the "Salted__" format openssl enc decrypts', function () {
    const passphrase = 'p4ss~!@#';
    const b64 = aesEncrypt('account=admin&passwd=a%2Bb%20c', passphrase);
    assert.equal(Buffer.from(b64, 'base64').subarray(0, 8).toString('latin1'), 'Salted__');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-enc-'));
    try {
      const file = path.join(dir, 'in.b64');
      fs.writeFileSync(file, `${b64}\n`);
      let plain: string;
      try {
        plain = execFileSync(
          'openssl',
          ['enc', '-d', '-aes-256-cbc', '-md', 'md5', '-a', '-A', '-in', file, '-pass', `pass:${passphrase}`],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        );
      } catch {
        this.skip(); // no openssl binary: aesDecrypt below checks the same bytes
        return;
      }
      assert.equal(plain, 'account=admin&passwd=a%2Bb%20c');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('round trip: the private key holder recovers passphrase and parameters', () => {
    const params = 'account=admin&passwd=p%40ss%2Bw%20rd&session=ActiveBackupOffice365&__cIpHeRtOkEn=1733794235';
    const passphrase = randomPassphrase(200);
    const fields = encryptLoginFields(params, modulusHex, passphrase);
    assert.equal(rsaDecryptPkcs1(fields.rsa, privJwk).toString('utf8'), passphrase);
    assert.equal(aesDecrypt(fields.aes, passphrase), params);
  });

  it('a fresh passphrase and salt each time; neither field shows the parameters', () => {
    const params = 'account=admin&passwd=hunter2';
    const one = encryptLoginFields(params, modulusHex, randomPassphrase(100));
    const two = encryptLoginFields(params, modulusHex, randomPassphrase(100));
    assert.notEqual(one.aes, two.aes);
    assert.notEqual(one.rsa, two.rsa);
    for (const value of [one.aes, one.rsa, Buffer.from(one.aes, 'base64').toString('latin1')]) {
      assert.ok(!value.includes('hunter2'));
    }
  });

  it('the default passphrase is 501 characters of the reference alphabet and fits a 4096-bit key', () => {
    const passphrase = randomPassphrase();
    assert.equal(passphrase.length, 501);
    assert.match(passphrase, /^[0-9a-zA-Z~!@#$%^&*()_+\-/]+$/);
    const big = crypto.generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey.export({ format: 'jwk' });
    const hex = Buffer.from(String(big.n), 'base64url').toString('hex');
    const fields = encryptLoginFields('a=1', hex);
    assert.equal(Buffer.from(fields.rsa, 'base64').length, 512);
  });

  it('refuses a public key that is not hex', () => {
    assert.throws(() => encryptLoginFields('a=1', 'not-a-key'), /hexadecimal/);
  });

  it('reads getinfo by the names the NAS gives, and refuses an answer without a usable key', () => {
    const data = { public_key: modulusHex, cipherkey: '__cIpHeRtExT', ciphertoken: '__cIpHeRtOkEn', server_time: 1733794235 };
    assert.deepEqual(readCipherInfo(data), { publicKey: modulusHex, cipherKey: '__cIpHeRtExT', cipherToken: '__cIpHeRtOkEn', serverTime: '1733794235' });
    assert.equal(readCipherInfo({ ...data, cipherkey: 'k2', server_time: '17' })?.cipherKey, 'k2');
    for (const broken of [{ ...data, public_key: 'xyz' }, { ...data, cipherkey: '' }, { ...data, server_time: undefined }, null]) {
      assert.equal(readCipherInfo(broken), undefined, JSON.stringify(broken));
    }
  });

  it('the encrypted login form: clear routing fields, one cipher field holding every parameter and the server time', () => {
    const info = { publicKey: modulusHex, cipherKey: 'ck', cipherToken: 'ct', serverTime: '1700000000' };
    const passphrase = randomPassphrase(100);
    const body = encryptedLoginBody(
      [['api', 'SYNO.API.Auth'], ['version', '7'], ['method', 'login']],
      { account: 'admin', passwd: 'a b+c', session: 'S', format: 'sid', enable_syno_token: 'yes' },
      info,
      passphrase,
    );
    const form = new URLSearchParams(body);
    assert.deepEqual([...form.keys()], ['api', 'version', 'method', 'enable_syno_token', 'ck']);
    const fields = JSON.parse(form.get('ck') ?? '') as { rsa: string; aes: string };
    assert.equal(rsaDecryptPkcs1(fields.rsa, privJwk).toString('utf8'), passphrase);
    assert.equal(aesDecrypt(fields.aes, passphrase), 'account=admin&passwd=a%20b%2Bc&session=S&format=sid&enable_syno_token=yes&ct=1700000000');
    assert.ok(!body.includes('passwd'));
  });

  it('cipherFieldValue is the reference client JSON, spaces included', () => {
    const value = cipherFieldValue({ rsa: 'R+/=', aes: 'A/+=' });
    assert.equal(value, '{"rsa": "R+/=", "aes": "A/+="}');
    assert.deepEqual(JSON.parse(value), { rsa: 'R+/=', aes: 'A/+=' });
  });
});
