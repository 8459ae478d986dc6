#!/usr/bin/env node
import { main } from '../dist/client/cli/main.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);
const code = await main(args);
// long-running subcommands (controller, agent) return when they stop
process.exitCode = code;
