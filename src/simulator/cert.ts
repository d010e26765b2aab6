// A self-signed X.509 v3 certificate built with Node's crypto only: an EC P-256 key and a
// hand-assembled DER TBSCertificate signed with ECDSA-SHA256. Small pure DER encoders below.

import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// ---- DER primitives -------------------------------------------------------------------------

/** DER length octets. */
export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export function sequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

export function set(...parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(parts));
}

/** INTEGER from unsigned big-endian bytes (a 0x00 is prefixed when the top bit is set). */
export function integer(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return tlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export function utf8String(s: string): Buffer {
  return tlv(0x0c, Buffer.from(s, 'utf8'));
}

export function octetString(b: Buffer): Buffer {
  return tlv(0x04, b);
}

export function bitString(b: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
}

export function boolean(v: boolean): Buffer {
  return tlv(0x01, Buffer.from([v ? 0xff : 0]));
}

/** Context-specific constructed [n] EXPLICIT. */
export function explicit(n: number, content: Buffer): Buffer {
  return tlv(0xa0 | n, content);
}

/** UTCTime (YYMMDDHHMMSSZ) for years 1950-2049, GeneralizedTime after. */
export function derTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const year = d.getUTCFullYear();
  if (year < 2050) return tlv(0x17, Buffer.from(`${p(year % 100)}${rest}`, 'ascii'));
  return tlv(0x18, Buffer.from(`${year}${rest}`, 'ascii'));
}

// ---- certificate pieces ---------------------------------------------------------------------

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export function commonName(cn: string): Buffer {
  return sequence(set(sequence(oid(OID_COMMON_NAME), utf8String(cn))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** IPv4 dotted quad -> 4 bytes. */
export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(parts);
}

/** subjectAltName with iPAddress [7] and dNSName [2] entries. */
export function subjectAltName(ips: string[], dnsNames: string[]): Buffer {
  return sequence(...ips.map((ip) => tlv(0x87, ipv4Bytes(ip))), ...dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))));
}

/** The BIT STRING content of an SPKI (the public key itself), for the key identifier. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING }: the uncompressed EC point is the last 65 bytes.
  return createHash('sha1').update(spkiDer.subarray(spkiDer.length - 65)).digest();
}

export interface TbsInput {
  serial: Buffer;
  cn: string;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  ips: string[];
  dnsNames: string[];
}

export function tbsCertificate(t: TbsInput): Buffer {
  const sigAlg = sequence(oid(OID_ECDSA_SHA256));
  const name = commonName(t.cn);
  const keyId = keyIdentifier(t.spkiDer);
  const extensions = sequence(
    extension(OID_BASIC_CONSTRAINTS, true, sequence(boolean(true))),
    extension(OID_SUBJECT_KEY_ID, false, octetString(keyId)),
    extension(OID_AUTHORITY_KEY_ID, false, sequence(tlv(0x80, keyId))),
    extension(OID_EXT_KEY_USAGE, false, sequence(oid(OID_SERVER_AUTH))),
    extension(OID_SUBJECT_ALT_NAME, false, subjectAltName(t.ips, t.dnsNames)),
  );
  return sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(t.serial),
    sigAlg,
    name,
    sequence(derTime(t.notBefore), derTime(t.notAfter)),
    name,
    t.spkiDer,
    explicit(3, extensions),
  );
}

export function certificate(tbs: Buffer, signatureDer: Buffer): Buffer {
  return sequence(tbs, sequence(oid(OID_ECDSA_SHA256)), bitString(signatureDer));
}

export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
  fingerprint256: string;
}

/** A fresh self-signed certificate for CN=abm365-simulator, IP:127.0.0.1 and DNS:localhost. */
export function makeSelfSigned(now = new Date(), cn = 'abm365-simulator'): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive and non-zero, 16 bytes
  const day = 86400 * 1000;
  const tbs = tbsCertificate({
    serial,
    cn,
    notBefore: new Date(now.getTime() - day),
    notAfter: new Date(now.getTime() + 365 * day),
    spkiDer,
    ips: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });
  const der = certificate(tbs, sign('sha256', tbs, privateKey as KeyObject));
  const certPem = toPem(der, 'CERTIFICATE');
  const x509 = new X509Certificate(certPem);
  if (!x509.verify(publicKey)) throw new Error('self-signed certificate does not verify');
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), fingerprint256: x509.fingerprint256 };
}
