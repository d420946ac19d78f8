/**
 * "Nothing of the job runs now", confirmed from the host rather than taken from the runner's
 * word: between two commands the daemon works in the job's output/ (file tools, the write
 * cap, handing files over, publishing), and a process a command left alive could swap a
 * folder for a link under its feet. After each command the container's cgroup must hold the
 * runner alone; otherwise the container is removed, which ends everything in it.
 */
import fs from 'node:fs/promises';
import type Docker from 'dockerode';

/** The host pids in the container's cgroup, read where the kernel keeps them (cgroup v1 or v2). */
async function cgroupPids(hostPid: number, containerId: string): Promise<number[] | undefined> {
  const lines = await fs.readFile(`/proc/${hostPid}/cgroup`, 'utf8').catch(() => '');
  const candidates: string[] = [];
  for (const line of lines.split('\n')) {
    const [, controllers, where] = line.split(':');
    // Only the container's own cgroup: in another pid namespace than the engine's, hostPid names some other process.
    if (where === undefined || !where.includes(containerId)) continue;
    if (controllers === 'pids') candidates.push(`/sys/fs/cgroup/pids${where}/cgroup.procs`);
    if (controllers === '') candidates.push(`/sys/fs/cgroup${where}/cgroup.procs`, `/sys/fs/cgroup/unified${where}/cgroup.procs`);
  }
  for (const file of candidates) {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
  }
  return undefined;
}

/** The same through the engine (`docker top`), where the host's /proc is not the engine's (a VM, a remote engine). */
async function topPids(container: Docker.Container): Promise<number[]> {
  const top = (await container.top()) as { Titles?: string[]; Processes?: string[][] };
  const column = top.Titles?.indexOf('PID') ?? -1;
  return (top.Processes ?? []).map((row) => Number(row[column]));
}

/**
 * True once the runner (host pid `runnerPid`) is the only process of the container. It kills
 * and reaps everything before it answers, so this is normally true at the first look; a
 * process just dying gets `waitMs`.
 */
export async function onlyRunnerLeft(container: Docker.Container, runnerPid: number, waitMs = 2000): Promise<boolean> {
  const until = Date.now() + waitMs;
  let useTop = false;
  for (;;) {
    let pids = useTop ? undefined : await cgroupPids(runnerPid, container.id);
    if (pids === undefined) {
      useTop = true;
      pids = await topPids(container).catch(() => [] as number[]);
    }
    if (pids.length === 1 && pids[0] === runnerPid) return true;
    if (pids.length === 0 || Date.now() >= until) return false; // nothing readable, or time is up: not confirmed
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
