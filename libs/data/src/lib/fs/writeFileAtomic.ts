import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers only ever see the old content or the whole new one: a temporary file in the
 * same folder (same file system, so the rename is atomic), then a rename over the target. An interrupted run
 * leaves at most a `.tmp-*` file behind, never a truncated output.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.tmp-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    // `write` failures (ENOSPC) carry no path and others name the temporary file: name the target instead.
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') (error as NodeJS.ErrnoException).path = path;
    throw error;
  }
}
