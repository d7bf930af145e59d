#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx zombie-sweep` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

// Supported: Node.js 20.19+ (until the AWS SDK for JavaScript v3 drops Node 20, in January 2027), 22 and 24.
// Keep in step with package.json "engines" and the README.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`zombie-sweep: Node.js ${process.versions.node} is not supported: use Node.js 22 or 24 (20.19 or later works until January 2027)\n`);
  process.exit(1);
}
// On a supported Node 20 the SDK prints a multi-line "NodeVersionSupportWarning" at its first client on
// every run; the README states the support window instead. Only that warning is silenced (a user's own
// setting wins), every other warning and error still shows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/main.ts');
