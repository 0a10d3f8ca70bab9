import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The e2e tests spawn the built bin and git; give them room on a 2-core machine.
    testTimeout: 60_000,
  },
});
