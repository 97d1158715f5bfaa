// Types for docker.mjs (plain JavaScript so the demo runs without a build step).

export interface PsEntry {
  id: string;
  name: string;
  /** Docker's state: running, exited, restarting, created, … */
  state: string;
  /** A networking sidecar (its name ends in "-proxy"). */
  sidecar: boolean;
}
export function dockerPs(fragment: string, options?: { all?: boolean }): PsEntry[];
export function appContainers(fragment: string, options?: { all?: boolean }): PsEntry[];
