import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dicomWebAuthorization } from './dicomWebAuthorization.js';

describe('dicomWebAuthorization', () => {
  const folder = mkdtempSync(join(tmpdir(), 'medseg-auth-'));

  it('builds HTTP basic (RFC 7617) and bearer headers, a token file first', async () => {
    // RFC 7617 §2's example credentials.
    expect(await dicomWebAuthorization({ MEDSEG_DICOMWEB_USER: 'Aladdin', MEDSEG_DICOMWEB_PASSWORD: 'open sesame' })).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(await dicomWebAuthorization({ MEDSEG_DICOMWEB_TOKEN: 'abc.def', MEDSEG_DICOMWEB_USER: 'x' })).toBe('Bearer abc.def');
    const file = join(folder, 'token');
    writeFileSync(file, 'from-file\n');
    expect(await dicomWebAuthorization({ MEDSEG_DICOMWEB_TOKEN: 'abc' }, file)).toBe('Bearer from-file');
    expect(await dicomWebAuthorization({ MEDSEG_DICOMWEB_TOKEN_FILE: file })).toBe('Bearer from-file');
    expect(await dicomWebAuthorization({})).toBeUndefined();
  });

  it('names a bad token file, never its content', async () => {
    const file = join(folder, 'two-lines');
    writeFileSync(file, 'secret-one\nsecret-two\n');
    await expect(dicomWebAuthorization({}, file)).rejects.toThrow(new RegExp(`^${file}: the token file must hold one non-empty line$`));
    await expect(dicomWebAuthorization({}, join(folder, 'missing'))).rejects.toThrow(/missing: cannot read the token file \(ENOENT\)/);
  });
});
