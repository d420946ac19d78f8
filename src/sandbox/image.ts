/**
 * The sandbox image: its name, whether this engine has it, and what to tell the
 * person when it does not.
 */
import type Docker from 'dockerode';

/** Built by `dropwork sandbox build` (sandbox/Dockerfile) or sandbox/build-offline.sh. */
export const SANDBOX_IMAGE = 'dropwork-sandbox:latest';
/**
 * The `dropwork.sandbox` label the daemon expects. Raise it when the image must change
 * (packages, user), in the Dockerfile and build-offline.sh too: an older image then
 * counts as outdated rather than failing jobs in odd ways.
 */
export const SANDBOX_IMAGE_VERSION = '2';
/** The user the image declares; commands run as this uid when the daemon is root. */
export const SANDBOX_UID = 10001;
export const SANDBOX_GID = 10001;
/** Nothing of the daemon's environment (API keys, HOME) reaches a command: only these. */
export const SANDBOX_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/tmp', 'LANG=C.UTF-8'];

/** The uid:gid commands run as: the daemon's own, or the image's `sandbox` user when the daemon is root. */
export function sandboxUser(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? SANDBOX_UID;
  return uid === 0 ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : { uid, gid: process.getgid?.() ?? SANDBOX_GID };
}

export const BUILD_HINT = 'run `dropwork sandbox build` (or `dropwork sandbox build --offline` where no base image can be pulled)';

export type ImageStatus =
  | { state: 'present'; name: string; id: string }
  | { state: 'missing' | 'outdated'; name: string; message: string };

export async function imageStatus(docker: Docker, name: string = SANDBOX_IMAGE): Promise<ImageStatus> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(name).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return { state: 'missing', name, message: `the sandbox image ${name} is missing: ${BUILD_HINT}` };
    throw err;
  }
  const version = info.Config.Labels?.['dropwork.sandbox'];
  if (version !== SANDBOX_IMAGE_VERSION) {
    return { state: 'outdated', name, message: `the sandbox image ${name} is ${version ? `version ${version}` : 'not a dropwork sandbox image'}, this dropwork needs version ${SANDBOX_IMAGE_VERSION}: ${BUILD_HINT}` };
  }
  return { state: 'present', name, id: info.Id };
}

export function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}
