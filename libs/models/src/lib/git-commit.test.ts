import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitCommit } from './git-commit.js';

const sha = (c: string) => c.repeat(40);

describe('gitCommit', () => {
  it('reads the checkout of this code as git itself does (git rev-parse HEAD)', async () => {
    const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: import.meta.dirname, encoding: 'utf8' });
    expect(await gitCommit()).toBe(git.status === 0 ? git.stdout.trim() : null);
  });

  it('follows a detached HEAD, a loose ref, packed-refs and a worktree pointer; null outside a checkout', async () => {
    const root = mkdtempSync(join(tmpdir(), 'medseg-git-'));
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.git/refs/heads'), { recursive: true });
    mkdirSync(join(repo, 'src/deep'), { recursive: true });
    writeFileSync(join(repo, '.git/HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(repo, '.git/refs/heads/main'), `${sha('a')}\n`);
    expect(await gitCommit(join(repo, 'src/deep'))).toBe(sha('a'));
    writeFileSync(join(repo, '.git/HEAD'), 'ref: refs/heads/packed\n');
    writeFileSync(join(repo, '.git/packed-refs'), `# pack-refs with: peeled\n${sha('b')} refs/heads/packed\n`);
    expect(await gitCommit(repo)).toBe(sha('b'));
    writeFileSync(join(repo, '.git/HEAD'), `${sha('c')}\n`);
    expect(await gitCommit(repo)).toBe(sha('c'));
    // A worktree: `.git` is a file naming its folder, whose commondir holds the branch refs.
    const wt = join(root, 'wt');
    mkdirSync(join(repo, '.git/worktrees/wt'), { recursive: true });
    mkdirSync(wt);
    writeFileSync(join(wt, '.git'), `gitdir: ${join(repo, '.git/worktrees/wt')}\n`);
    writeFileSync(join(repo, '.git/worktrees/wt/HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(repo, '.git/worktrees/wt/commondir'), '../..\n');
    expect(await gitCommit(wt)).toBe(sha('a'));
    const outside = mkdtempSync(join(tmpdir(), 'medseg-nogit-'));
    // tmpdir may itself lie in a checkout on some machines; only a clean answer is asked for.
    const answer = await gitCommit(outside);
    expect(answer === null || /^[0-9a-f]{40}$/.test(answer)).toBe(true);
  });
});
