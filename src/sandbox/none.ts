/**
 * No sandbox: neither a Docker engine with the image nor a working bubblewrap. The
 * agent is not offered `run_command` at all (check `backend.kind === 'none'`); the file
 * tools still work. `run` exists only to refuse, loudly, should anything call it.
 */
import { SandboxError } from '../errors.js';
import type { CommandResult, Sandbox, SandboxBackend } from './sandbox.js';

export class NoSandboxBackend implements SandboxBackend {
  readonly kind = 'none';

  async open(): Promise<Sandbox> {
    return new NoSandbox();
  }
}

class NoSandbox implements Sandbox {
  readonly kind = 'none';

  async run(): Promise<CommandResult> {
    throw new SandboxError('no sandbox is available, so commands are never run (they would run on the host)');
  }

  async close(): Promise<void> {}
}
