import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores in CI: more workers than that only adds contention.
    maxWorkers: process.env.CI ? 2 : undefined,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
