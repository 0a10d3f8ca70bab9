import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConfinedPath, Plan, projectModulePlace } from '../../src/core/plan.js';
import { mergeWithMarkers } from '../../src/core/merge.js';
import { transact } from '../../src/core/transaction.js';
import { tempDir, testContext } from '../helpers.js';

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

describe('projectModulePlace', () => {
  it("finds the package's modules under src/ and a test's beside it, and no one else's", async () => {
    const root = await tempDir();
    await mkdir(join(root, 'src/app/core'), { recursive: true });
    await mkdir(join(root, 'tests/factories'), { recursive: true });
    await writeFile(join(root, 'tests/helpers.py'), '');
    await writeFile(join(root, 'tests/json.py'), '');
    const plan = new Plan(root);
    const place = (module: string, importer: string) => projectModulePlace(plan, module, importer);
    expect(place('app.core.config', 'tests/test_users_api.py')).toBe('src/app/core/config');
    expect(place('app', 'src/app/main.py')).toBe('src/app');
    expect(place('helpers', 'tests/test_users_api.py')).toBe('tests/helpers');
    expect(place('factories.users', 'tests/test_users_api.py')).toBe('tests/factories/users');
    // Beside a test only: the package's modules do not see the tests' folder.
    expect(place('helpers', 'src/app/main.py')).toBeUndefined();
    // The standard library's module, whatever a test folder holds; a dependency's.
    expect(place('json', 'tests/test_users_api.py')).toBeUndefined();
    expect(place('fastapi.testclient', 'tests/test_users_api.py')).toBeUndefined();
  });
});

describe('Plan.changedSinceRead', () => {
  it('finds same-size edits, replacements, deletions and new files, not a rewrite of the same bytes', async () => {
    const root = await tempDir();
    for (const name of ['edited.py', 'replaced.py', 'rewritten.py', 'deleted.py']) await writeFile(join(root, name), 'x = 1\n');
    const plan = new Plan(root);
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

  it('finds a file grown or cut short, and one replaced by a folder or a FIFO (an empty one too)', async () => {
    const root = await tempDir();
    const files = { 'grown.py': 'x = 1\n', 'cut.py': 'x = 1\ny = 2\n', 'big.py': 'z = 0\n'.repeat(5000), 'folder.py': 'x = 1\n', 'fifo.py': 'x = 1\n', 'empty.py': '' };
    for (const [name, text] of Object.entries(files)) await writeFile(join(root, name), text);
    const plan = new Plan(root);
    for (const name of Object.keys(files)) plan.read(name);
    expect(plan.changedSinceRead()).toEqual([]);
    await writeFile(join(root, 'grown.py'), 'x = 1\n\n');
    await writeFile(join(root, 'cut.py'), 'x = 1\n');
    await writeFile(join(root, 'big.py'), `${'z = 0\n'.repeat(4999)}z = 1\n`);
    await rm(join(root, 'folder.py'));
    await mkdir(join(root, 'folder.py'));
    for (const name of ['fifo.py', 'empty.py']) {
      await rm(join(root, name));
      expect(spawnSync('mkfifo', [join(root, name)]).status).toBe(0);
    }
    expect(plan.changedSinceRead()).toEqual(['big.py', 'cut.py', 'empty.py', 'fifo.py', 'folder.py', 'grown.py']);
  });

  it('finds a file saved into, or taken from, a folder it listed; not a bytecode cache made there', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'migrations/versions'), { recursive: true });
    await writeFile(join(root, 'migrations/versions/a.py'), 'revision = "a"\n');
    await writeFile(join(root, 'migrations/versions/b.py'), 'revision = "b"\n');
    const plan = new Plan(root);
    expect(plan.filesIn('migrations/versions')).toEqual(['migrations/versions/a.py', 'migrations/versions/b.py']);
    await mkdir(join(root, 'migrations/versions/__pycache__'));
    expect(plan.changedSinceRead()).toEqual([]);
    await writeFile(join(root, 'migrations/versions/c.py'), 'revision = "c"\n');
    await rm(join(root, 'migrations/versions/b.py'));
    expect(plan.changedSinceRead()).toEqual(['migrations/versions/b.py', 'migrations/versions/c.py']);
  });

  // A write through a memory-mapped page that was dirtied before changes no timestamp (the page
  // faults once, on the first write): only the bytes tell. A check by lstat once let it through.
  it.runIf(spawnSync('python3', ['-c', 'import mmap']).status === 0)('finds an edit made through a memory map the editor had written to before', async () => {
    const root = await tempDir();
    const file = join(root, 'a.py');
    await writeFile(file, 'revision = "create_orders"\n');
    const editor = spawn(
      'python3',
      ['-c', `import mmap, os, sys\nm = mmap.mmap(os.open(${JSON.stringify(file)}, os.O_RDWR), 0)\nm[0] = m[0]\nprint("dirty", flush=True)\nsys.stdin.readline()\nm[12:25] = b"create_ORDERS"\nprint("edited", flush=True)\nsys.stdin.readline()`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: editor.stdout })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe('dirty');
      // A whole run: the lock is taken after the page was dirtied, the plan reads the file, the
      // editor changes it, and the check before writing must see that.
      const run = transact(root, testContext(root).ctx, { command: 'test', options: {} }, async (plan) => {
        expect(plan.read('a.py')).toBe('revision = "create_orders"\n');
        editor.stdin.write('\n');
        expect((await lines.next()).value).toBe('edited');
        plan.write('b.py', 'x = 1\n');
        return { done() {} };
      });
      await expect(run).rejects.toThrow('Changed by something else while planning: a.py; nothing was written, run again');
      expect(existsSync(join(root, 'b.py'))).toBe(false);
    } finally {
      editor.kill();
    }
  });
});

describe('a file planned with conflict markers', () => {
  // The user renamed create_order; the generator's new test, merged cleanly below a conflict
  // elsewhere in the file, still calls it.
  const base = 'LIMIT = 10\n\n\ndef create_order():\n    return {}\n';
  const ours = 'LIMIT = 20  # mine\n\n\ndef make_order():\n    return {}\n';
  const theirs = (limit: string) => `${limit}\n\n\ndef create_order():\n    return {}\n\n\ndef test_new():\n    assert create_order() == {}\n`;

  const plan = async (generated: string) => {
    const root = await tempDir();
    await writeFile(join(root, 'test_orders.py'), ours);
    const merged = mergeWithMarkers(ours, base, generated);
    expect(merged.conflicts.length).toBeGreaterThan(0);
    return transact(root, testContext(root).ctx, { command: 'upgrade', options: {} }, (planned) => {
      planned.generateConflicted({ path: 'test_orders.py', content: generated, parsedByBuild: false }, merged.text);
      return { done() {} };
    });
  };

  it('is refused where the lines merged around the conflicts read a name the file does not define', async () => {
    await expect(plan(theirs('LIMIT = 50'))).rejects.toThrow('test_orders.py: the lines this command adds there read create_order, which the file does not define');
  });

  it('is written where one side of a conflict defines it: the user may keep that side', async () => {
    await plan(theirs('LIMIT = 50\ncreate_order = dict'));
  });
});
