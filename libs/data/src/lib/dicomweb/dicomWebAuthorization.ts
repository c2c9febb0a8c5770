import { readFile } from 'node:fs/promises';
import { DicomWebError } from './dicomWebErrors.js';

/** The environment variables that carry DICOMweb credentials (the values are sent, never shown or recorded). */
export const DicomWebAuthEnv = {
  Token: 'MEDSEG_DICOMWEB_TOKEN',
  TokenFile: 'MEDSEG_DICOMWEB_TOKEN_FILE',
  User: 'MEDSEG_DICOMWEB_USER',
  Password: 'MEDSEG_DICOMWEB_PASSWORD',
} as const;

/**
 * The Authorization header for a DICOMweb server, from (first found) a token file given on the command line,
 * a bearer token or token file in the environment, or a user and password for HTTP basic; undefined when none
 * is set. `env` is passed in: only the CLI reads process state. Errors name the file, never its content.
 */
export async function dicomWebAuthorization(env: Readonly<Record<string, string | undefined>>, tokenFile?: string): Promise<string | undefined> {
  const file = tokenFile ?? env[DicomWebAuthEnv.TokenFile];
  if (file !== undefined && file !== '') {
    let token: string;
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new DicomWebError(`cannot read the token file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { path: file, cause: error });
    }
    if (token === '' || /[\r\n]/.test(token)) throw new DicomWebError('the token file must hold one non-empty line', { path: file });
    return `Bearer ${token}`;
  }
  const token = env[DicomWebAuthEnv.Token];
  if (token !== undefined && token !== '') return `Bearer ${token}`;
  const user = env[DicomWebAuthEnv.User];
  if (user !== undefined && user !== '') {
    if (user.includes(':')) throw new DicomWebError(`${DicomWebAuthEnv.User} must not contain ':'`);
    return `Basic ${Buffer.from(`${user}:${env[DicomWebAuthEnv.Password] ?? ''}`, 'utf8').toString('base64')}`;
  }
  return undefined;
}
