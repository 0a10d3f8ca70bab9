import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan, nodeFileSystem, type FileSystem } from '../../src/core/apply.js';
import { Plan } from '../../src/core/plan.js';
import { tempDir } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/** A file system whose n-th call of `operation` fails, as a full disk or a permission problem would. */
function failingOn(operation: 'rename' | 'writeFile', n: number): FileSystem {
  let calls = 0;
  return {
    ...nodeFileSystem,
    [operation]: (...args: [string, string]) => {
      calls += 1;
      if (calls === n) throw new Error('EIO: simulated failure');
      nodeFileSystem[operation](...args);
    },
  };
}

async function projectWithFiles(): Promise<string> {
  const root = await tempDir();
  await mkdir(join(root, 'src'));
  await writeFile(join(root, 'src/app.py'), 'original\n');
  await writeFile(join(root, 'old.txt'), 'old\n');
  return root;
}

async function planOn(root: string): Promise<Plan> {
  const plan = new Plan(root);
  await plan.write('src/new/module.py', 'new\n');
  await plan.write('src/app.py', 'edited\n');
  await plan.delete('old.txt');
  await plan.write('z-last.txt', 'last\n');
  return plan;
}

describe('applyPlan', () => {
  it('creates, edits and deletes, leaving no staging folder behind', async () => {
    const root = await projectWithFiles();
    applyPlan(root, (await planOn(root)).list());
    expect(Object.keys(await snapshotTree(root, { withFolders: true })).filter((path) => path.startsWith('.'))).toEqual([]);
    expect(await snapshotTree(root)).toEqual({
      'src/app.py': 'edited\n',
      'src/new/module.py': 'new\n',
      'z-last.txt': 'last\n',
    });
  });

  it.each([1, 2, 3])('leaves the tree exactly as it was when write %i fails', async (n) => {
    const root = await projectWithFiles();
    const before = await snapshotTree(root, { withFolders: true });
    const changes = (await planOn(root)).list();
    expect(() => applyPlan(root, changes, failingOn('rename', n))).toThrow(/simulated/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    expect(await readFile(join(root, 'src/app.py'), 'utf8')).toBe('original\n');
  });

  it.each([1, 2, 3])('leaves no trace of a new project folder when write %i fails', async (n) => {
    const parent = await tempDir();
    const plan = new Plan(join(parent, 'fresh', 'project'));
    await plan.write('a.txt', 'a');
    await plan.write('src/deep/b.py', 'b');
    await plan.write('src/c.py', 'c');
    expect(() => applyPlan(plan.root, plan.list(), failingOn('writeFile', n))).toThrow(/simulated/);
    expect(await snapshotTree(parent, { withFolders: true })).toEqual({});
  });
});
