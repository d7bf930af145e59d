import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/helpers/slow-first.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: { sequencer: SlowFirstSequencer },
    // Two cores in CI: more workers than that only adds contention.
    maxWorkers: process.env.CI ? 2 : undefined,
    // CI logs stay short (one mark a test, failures in full) and the run leaves a JUnit file for the CI's test view.
    reporters: process.env.CI ? ['dot', ['junit', { outputFile: 'test-output/junit.xml' }]] : ['default'],
  },
});
