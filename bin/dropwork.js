#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm ci / npm install build it via `prepare`).
// The Node check comes first and uses nothing newer than ES2017: better-sqlite3 13 crashes
// (a segfault, not an error) when an older Node loads it, so an unsupported Node must be
// refused before dist/ is imported. The supported range is package.json's engines.node.
import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const want = /(\d+)\.(\d+)/.exec((pkg.engines && pkg.engines.node) || '') || [];
const have = process.versions.node.split('.').map(Number);
const needMajor = Number(want[1]);
const needMinor = Number(want[2]);
if (have[0] < needMajor || (have[0] === needMajor && have[1] < needMinor)) {
  // A clone (a git checkout, run from it or linked with npm link) is set up again with npm ci;
  // an install from the registry is installed again.
  const clone = fs.existsSync(new URL('../.git', import.meta.url));
  process.stderr.write(
    `dropwork: Node.js ${process.versions.node} (${process.execPath}) is too old; dropwork ${pkg.version} needs Node.js ${needMajor}.${needMinor} or newer (Node 22 or 24 LTS).\n` +
    (clone
      ? `In this repository, run \`source scripts/setup/node.sh\` to put Node.js 24 first on PATH (or install Node.js 24 from https://nodejs.org), then \`npm ci\` again, so its database module is built for that Node.\n`
      : `Install a current Node.js (https://nodejs.org), then reinstall dropwork with it (npm i -g dropwork), so its database module is built for that Node.\n`),
  );
  process.exit(1);
}

// No top-level await either, so that a much older Node still reaches the message above.
import('../dist/cli.js').then(({ main }) => main(process.argv));
