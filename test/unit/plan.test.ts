import { mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConfinedPath, Plan } from '../../src/core/plan.js';
import { tempDir } from '../helpers.js';

describe('isConfinedPath', () => {
  it.each(['a', 'src/app.py', '.gitignore', 'a/.env', '..a', 'a..b', 'migrations/versions/x.py'])('takes %j', (path) => {
    expect(isConfinedPath(path)).toBe(true);
  });

  it.each(['', '/etc/passwd', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', '.', '..', 'x/..', 'a\\b', 'a\0b'])('refuses %j', (path) => {
    expect(isConfinedPath(path)).toBe(false);
  });
});

describe('Plan reads the disk as it is', () => {
  it('a file, a symlink to one (with where it leads), a dangling symlink, a folder and nothing', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'src/pkg'), { recursive: true });
    await writeFile(join(root, 'src/app.py'), 'x = 1\n', { mode: 0o640 });
    await symlink('app.py', join(root, 'src/link.py'));
    await symlink('gone.py', join(root, 'src/dangling.py'));
    const plan = new Plan(root);
    expect(plan.read('src/app.py')).toBe('x = 1\n');
    expect(plan.linkTarget('src/app.py')).toBeUndefined();
    expect(plan.read('src/link.py')).toBe('x = 1\n');
    expect(plan.linkTarget('src/link.py')).toBe('src/app.py');
    expect(plan.read('src/dangling.py')).toBeUndefined();
    expect(plan.read('src/missing.py')).toBeUndefined();
    expect(plan.read('src/app.py/below.py')).toBeUndefined();
    expect(() => plan.read('src/pkg')).toThrow('src/pkg is a folder where a file belongs');
    plan.write('src/app.py', 'x = 2\n');
    const [edit] = plan.changes().filter((change) => change.kind === 'edit');
    expect(edit).toMatchObject({ path: 'src/app.py', mode: 0o640, before: Buffer.from('x = 1\n') });
  });
});

describe('Plan.changedSinceRead', () => {
  /** A lock taken now, as transact takes one before planning. */
  const lockTaken = async (root: string) => {
    await writeFile(join(root, '.create-layered-backend.lock'), '{}');
    const { dev, ctimeMs } = await stat(join(root, '.create-layered-backend.lock'));
    return { dev, ctimeMs };
  };

  // Files last changed before the lock are looked at (lstat), the rest read again: either way a
  // change of the bytes is found, and a rewrite of the same bytes is not one.
  it.each([
    ['changed before the lock (looked at)', true],
    ['changed after the lock (read again)', false],
  ])('a file %s: same-size edits and replacements are found, same bytes are not', async (_, settled) => {
    const root = await tempDir();
    for (const name of ['edited.py', 'replaced.py', 'rewritten.py', 'deleted.py']) await writeFile(join(root, name), 'x = 1\n');
    const lockedAt = await lockTaken(root);
    const plan = new Plan(root, settled ? lockedAt : { ...lockedAt, ctimeMs: 0 });
    for (const name of ['edited.py', 'replaced.py', 'rewritten.py', 'deleted.py', 'created.py']) plan.read(name);
    expect(plan.changedSinceRead()).toEqual([]);
    await writeFile(join(root, 'edited.py'), 'x = 2\n');
    await writeFile(join(root, 'replaced.py.new'), 'x = 3\n');
    await rename(join(root, 'replaced.py.new'), join(root, 'replaced.py'));
    await writeFile(join(root, 'rewritten.py'), 'x = 1\n');
    await rm(join(root, 'deleted.py'));
    await writeFile(join(root, 'created.py'), '');
    expect(plan.changedSinceRead()).toEqual(['created.py', 'deleted.py', 'edited.py', 'replaced.py']);
  });
});
