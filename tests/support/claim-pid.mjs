// One contender in a pid file race (tests/pidfile.test.ts): waits for the common start time,
// claims the pid file with the built module, says whether it won, and a winner stays alive
// until told to go (stdin closes) so the others see a live daemon.
const [modulePath, pidFile, startAt] = process.argv.slice(2);
const { claimPidFile } = await import(modulePath);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now() - 30)));
while (Date.now() < Number(startAt)) { /* spin: start together, not a timer's tick apart */ }
try {
  claimPidFile(pidFile);
  process.stdout.write('won\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} catch (err) {
  process.stdout.write(`lost: ${err.message}\n`);
}
