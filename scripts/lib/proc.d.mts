// Types for proc.mjs.
export function workerdPids(root: number): number[];
export function rssBytes(pids: number[]): number;
