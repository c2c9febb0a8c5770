import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** The git folder of the checkout holding `from`: `.git` itself, or where a worktree's `.git` file points. */
async function gitDir(from: string): Promise<string | null> {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const info = await stat(dotGit).catch(() => null);
    if (info?.isDirectory() === true) return dotGit;
    if (info?.isFile() === true) {
      const pointer = /^gitdir:\s*(.+)$/m.exec((await readText(dotGit)) ?? '');
      return pointer === null ? null : resolve(dir, pointer[1]!);
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The commit checked out where medseg's code lies (HEAD, following a branch ref, loose or packed, and a
 * worktree's common folder), read from the files without running git; null outside a git checkout.
 */
export async function gitCommit(from: string = dirname(fileURLToPath(import.meta.url))): Promise<string | null> {
  const git = await gitDir(from);
  if (git === null) return null;
  const head = await readText(join(git, 'HEAD'));
  if (head === null) return null;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (ref === undefined) return null;
  const common = await readText(join(git, 'commondir'));
  const roots = common === null ? [git] : [git, resolve(git, common)];
  for (const root of roots) {
    const loose = await readText(join(root, ref));
    if (loose !== null && /^[0-9a-f]{40}$/.test(loose)) return loose;
    const packed = await readText(join(root, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    if (line !== undefined) return line.slice(0, 40);
  }
  return null;
}
