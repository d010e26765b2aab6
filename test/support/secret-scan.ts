// Finds a secret in bytes a server received, in every shape a client could have sent it:
// as is, percent-encoded (either hex case, with %20 or + for a space), and base64 or
// base64url at any byte alignment.

/** The middle of base64(prefix + secret) for prefixes of 0-2 bytes: what shows inside a longer base64 text. */
function base64Cores(secret: Buffer, url: boolean): string[] {
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), secret])
      .toString(url ? 'base64url' : 'base64')
      .replace(/=+$/, '');
    // Characters that also depend on the bytes before or after the secret are dropped.
    const head = [0, 2, 3][shift];
    const tail = [0, 2, 3][(shift + secret.length) % 3];
    const core = encoded.slice(head, encoded.length - tail);
    if (core.length >= 4) cores.push(core);
  }
  return cores;
}

/** Every shape of `secret` that counts as sending it readable. */
export function secretForms(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  const strict = percent.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const forms = new Set<string>([secret, percent, strict, new URLSearchParams({ s: secret }).toString().slice(2)]);
  for (const f of [...forms]) forms.add(f.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  const bytes = Buffer.from(secret, 'utf8');
  for (const core of [...base64Cores(bytes, false), ...base64Cores(bytes, true)]) forms.add(core);
  return [...forms];
}

/** The shapes of each secret found in `received` (empty when none shows). */
export function findSecrets(received: Buffer, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      if (received.includes(Buffer.from(form, 'utf8'))) found.push(`${JSON.stringify(secret)} as ${JSON.stringify(form)}`);
    }
  }
  return found;
}
