// Types for devserver.mjs (plain JavaScript so the demo runs without a build step).
import type { ChildProcess } from "node:child_process";

export const ROOT: string;
export function freePort(): Promise<number>;
export function portIsFree(port: number): Promise<boolean>;
export function wranglerEnv(extra?: Record<string, string>): Record<string, string | undefined>;
export function removeContainers(runName: string, log?: (line: string) => void): void;
export function stopWrangler(child: ChildProcess, log?: (line: string) => void): Promise<void>;
export function waitUntilUp(
  baseUrl: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs?: number,
  path?: string,
): Promise<void>;
export interface DevServer {
  child: ChildProcess;
  baseUrl: string;
  /** Resolves when wrangler prints "Ready on"; rejects if it exits first. */
  ready: Promise<void>;
  stop(): Promise<void>;
}
export function startWranglerDev(options: {
  config: string;
  runName: string;
  port: number;
  logFile: string;
  log?: (line: string) => void;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}): Promise<DevServer>;
