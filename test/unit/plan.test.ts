import { describe, expect, it } from 'vitest';
import { isConfinedPath } from '../../src/core/plan.js';

describe('isConfinedPath', () => {
  it.each(['a', 'src/app.py', '.gitignore', 'a/.env', '..a', 'a..b', 'migrations/versions/x.py'])('takes %j', (path) => {
    expect(isConfinedPath(path)).toBe(true);
  });

  it.each(['', '/etc/passwd', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', '.', '..', 'x/..', 'a\\b', 'a\0b'])('refuses %j', (path) => {
    expect(isConfinedPath(path)).toBe(false);
  });
});
