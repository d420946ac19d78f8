/**
 * The parts beyond the core pipeline. Each module, when imported, registers its daemon plugin
 * (registerPlugin) and its commands (addCommands). A module that is not built into this copy
 * of dropwork is passed over; one that fails to load is reported.
 */
const MODULES = [
  './agent/index.js',
  './sandbox/index.js',
  './notify/index.js',
  './schedule/index.js',
  './service/index.js',
  './doctor/index.js',
  './web/index.js',
  './undo/index.js',
  './program/index.js',
  './eval/index.js',
];

let loaded: Promise<string[]> | undefined;

export function loadPlugins(): Promise<string[]> {
  loaded ??= (async () => {
    const failed: string[] = [];
    for (const spec of MODULES) {
      try {
        await import(spec);
      } catch (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(spec.slice(2, -3));
        if (!missing) failed.push(`${spec}: ${String(err)}`);
      }
    }
    for (const f of failed) process.stderr.write(`dropwork: could not load ${f}\n`);
    return failed;
  })();
  return loaded;
}
