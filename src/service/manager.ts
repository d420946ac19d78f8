import type { ServicePlan, ServicePlatform } from './plan.js';

/** What starting or stopping through the service manager came to. */
export type Started = { ok: true; detail: string } | { ok: false; why: string; how: string };

/** What the service manager says about the service. */
export interface ManagerState {
  /** False when the manager cannot be asked here (no systemd user session, no launchctl). */
  reachable: boolean;
  running?: boolean;
  detail: string;
}

/** systemd and launchd behind one face: the commands do not care which. */
export interface ServiceManager {
  platform: ServicePlatform;
  /** The unit or plist text for this plan. */
  render(plan: ServicePlan): string;
  /** Load and start the written file (enable with the session). */
  start(plan: ServicePlan): Promise<Started>;
  /** Stop and unload, before the file is removed. */
  stop(plan: ServicePlan): Promise<Started>;
  state(plan: ServicePlan): Promise<ManagerState>;
  /** The manager's own log of the service, where it keeps one (journalctl). */
  logCommand?: string[];
}
