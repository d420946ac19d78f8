#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm ci / npm install build it via `prepare`).
import { main } from '../dist/cli.js';

await main(process.argv);
