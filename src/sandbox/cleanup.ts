/**
 * Containers a crashed daemon left behind. Every sandbox container carries the
 * `dropwork.job` label and its daemon's `dropwork.owner`; at start-up, before any job runs,
 * none of this daemon's can belong to a live job, so all of them go. Another dropwork's
 * (another data folder, a test run) are not this daemon's to remove.
 */
import type Docker from 'dockerode';
import { JOB_LABEL, OWNER_LABEL, ownerId } from './container.js';

/**
 * Removes the containers of `owner` (the daemon's data folder, as given to chooseSandbox),
 * or only those of one job, and returns the job ids they belonged to.
 */
export async function removeLeftoverContainers(docker: Docker, owner: string, jobId?: string): Promise<string[]> {
  const labels = [`${OWNER_LABEL}=${ownerId(owner)}`, jobId === undefined ? JOB_LABEL : `${JOB_LABEL}=${jobId}`];
  const containers = await docker.listContainers({ all: true, filters: { label: labels } });
  const removed: string[] = [];
  await Promise.all(containers.map(async (info) => {
    try {
      await docker.getContainer(info.Id).remove({ force: true });
      removed.push(info.Labels[JOB_LABEL] ?? info.Id);
    } catch (err) {
      // Already on its way out (another remover): that is what we wanted.
      if (!/No such container|already in progress/i.test(String(err))) throw err;
    }
  }));
  return removed;
}
