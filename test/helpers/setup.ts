import '../../src/core/polyfills.ts';
