import { errorMessage } from '../../errors.js';
import { fail, ONLY_COLLECTS, pass, warn, type Check } from '../check.js';

/** What doctor needs of src/sandbox (issue 4), loaded only if this dropwork has it. */
interface SandboxModule {
  chooseSandbox(setting: string): Promise<{ backend: { kind: string }; reason: string }>;
}
interface ImageModule {
  BUILD_HINT?: string;
}

const DOCKER_FIX = 'install Docker and start it (docs.docker.com/engine/install), then: dropwork sandbox build';

/**
 * Where agents' commands will run: Docker with the sandbox image, or the fallback the sandbox
 * module picks (bubblewrap, or none: no commands at all), and why.
 */
export const sandboxCheck: Check = {
  id: 'sandbox',
  title: 'Sandbox',
  async run(ctx) {
    if (ctx.config.role === 'collect') return pass(ONLY_COLLECTS);
    let sandbox: SandboxModule;
    let image: ImageModule = {};
    try {
      // Specifiers in variables: this dropwork may be built without the sandbox module.
      const sandboxSpec = '../../sandbox/sandbox.js';
      const imageSpec = '../../sandbox/image.js';
      sandbox = (await import(sandboxSpec)) as SandboxModule;
      image = ((await import(imageSpec).catch(() => ({}))) as ImageModule);
    } catch {
      return warn('this dropwork has no sandbox module: agents cannot run commands', 'install a dropwork release with the sandbox');
    }
    const setting = ctx.config.sandbox;
    let choice: { backend: { kind: string }; reason: string };
    try {
      choice = await sandbox.chooseSandbox(setting);
    } catch (err) {
      return fail(errorMessage(err), setting === 'docker' ? `${DOCKER_FIX}; or set sandbox: auto in config.yaml` : 'install bubblewrap (apt install bubblewrap), or set sandbox: auto in config.yaml');
    }
    const kind = choice.backend.kind;
    if (kind === 'docker') return pass(choice.reason);
    if (setting === kind) return kind === 'none' ? warn(choice.reason, 'set sandbox: auto in config.yaml to let agents run commands') : pass(choice.reason);
    const fix = /image/.test(choice.reason) ? image.BUILD_HINT ?? 'build the sandbox image: dropwork sandbox build' : DOCKER_FIX;
    return warn(`falling back: ${choice.reason}`, fix);
  },
};
