// The Node.js check of `npm ci` / `npm install` in a clone of dropwork, in one sentence.
//
// Why a dev dependency's preinstall, packed as a tarball (scripts/setup/dropwork-node-check-*.tgz,
// made from this folder with `npm pack`): npm builds dependencies in phases, every package's
// preinstall before any package's install (where better-sqlite3 compiles), but the root
// package's own scripts only after all of it, and linked folders (`file:` a folder) after the
// other dependencies too. On Node 20 better-sqlite3's compile came first and failed blaming
// "network connectivity" for headers it could not fetch. engine-strict would stop npm earlier,
// but in npm's words, without how to get a newer Node, and this sentence would never be said. A
// dev dependency, so only a clone runs it: an installed dropwork checks at start (bin/dropwork.js).
//
// Plain ES5 and CommonJS, so that a much older Node still reaches the sentence.
'use strict';
var fs = require('fs');
var path = require('path');

// The clone's package.json: npm names the project it installs (this copy is in its node_modules).
var root = process.env.npm_config_local_prefix || path.resolve(__dirname, '..', '..');
var pkg;
try {
  pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
} catch (err) {
  process.exit(0); // not inside a clone of dropwork: nothing to check against
}
var want = /(\d+)\.(\d+)/.exec((pkg.engines && pkg.engines.node) || '') || [];
var have = process.versions.node.split('.').map(Number);
var needMajor = Number(want[1]);
var needMinor = Number(want[2]);
if (have[0] < needMajor || (have[0] === needMajor && have[1] < needMinor)) {
  process.stderr.write(
    'dropwork needs Node.js ' + needMajor + '.' + needMinor + ' or newer and this is Node.js ' + process.versions.node +
    ' (' + process.execPath + '): run `source scripts/setup/node.sh` to put Node.js 24 first on PATH in this shell' +
    ' (or install Node.js 24 from https://nodejs.org), then run the same command again.\n');
  process.exit(1);
}
