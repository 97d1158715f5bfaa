/**
 * @module alarm
 * The single Durable Object alarm, shared by the idle timer and schedules.
 * It remembers the time it armed so that an alarm is only written when an
 * earlier one is needed; the alarm handler re-arms for whatever comes next.
 */

import type { ActivityTracker } from "./activity";

/** What the next alarm is for. */
export interface AlarmInputs {
  /** Idle deadline of a running container (ms), if any. */
  idleDeadline: number | undefined;
  /** Soonest pending schedule (ms), if any. */
  nextSchedule: number | undefined;
  /** Restart or hard-timeout deadline (ms), if any. */
  supervisor?: number | undefined;
}

/** The time the next alarm must fire (ms), or `undefined` when nothing needs one. */
export function nextAlarmTime({ idleDeadline, nextSchedule, supervisor }: AlarmInputs): number | undefined {
  const times = [idleDeadline, nextSchedule, supervisor].filter((time): time is number => time !== undefined);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** Arms the Durable Object alarm, skipping writes that would not change anything. */
export class AlarmClock {
  readonly #storage: DurableObjectStorage;
  // undefined: not read yet; null: no alarm armed.
  #armedAt: number | null | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** Read the armed time from storage (once, at start-up). */
  async load(): Promise<void> {
    this.#armedAt = await this.#storage.getAlarm();
  }

  /** The armed time (ms), or `null` when none. */
  get armedAt(): number | null {
    return this.#armedAt ?? null;
  }

  /** Make sure an alarm fires no later than `time`. Returns whether it wrote. */
  async ensureBy(time: number): Promise<boolean> {
    if (this.#armedAt === undefined) await this.load();
    const armed = this.#armedAt;
    if (armed !== null && armed !== undefined && armed <= time) return false;
    await this.set(time);
    return true;
  }

  /** Arm the alarm at `time`, replacing any other. */
  async set(time: number): Promise<void> {
    this.#armedAt = time;
    await this.#storage.setAlarm(time);
  }

  /** Arm the alarm at `time`, or remove it when `time` is `undefined`. */
  async reset(time: number | undefined): Promise<void> {
    if (time === undefined) {
      this.#armedAt = null;
      await this.#storage.deleteAlarm();
      return;
    }
    await this.set(time);
  }

  /** Note that the armed alarm has fired (the runtime cleared it). */
  fired(): void {
    this.#armedAt = null;
  }
}

/** What one alarm run needs from its Container. */
export interface AlarmCycleHost {
  readonly clock: AlarmClock;
  readonly activity: ActivityTracker;
  isRunning(): boolean;
  runDueSchedules(): Promise<void>;
  /** Soonest pending schedule still in the future (ms). */
  nextScheduleMs(): number | undefined;
  /** Called before `onActivityExpired` (for the lifecycle event). */
  emitActivityExpired(): void;
  onActivityExpired(): Promise<void | boolean>;
  /** Act on a due restart or hard timeout. */
  supervise(): Promise<void>;
  /** When the supervisor next needs the alarm (ms). */
  supervisorDueAt(): number | undefined;
  /** Persist the idle deadline the alarm is armed for. */
  persistDeadline(deadline: number): Promise<void>;
}

/**
 * One alarm: run due schedules, check the idle deadline (calling
 * `onActivityExpired` when it passed with nothing in flight), then arm the
 * alarm for whatever comes next, or clear it.
 */
export async function runAlarmCycle(host: AlarmCycleHost): Promise<void> {
  const { clock, activity } = host;
  clock.fired();
  await host.runDueSchedules();
  await host.supervise();
  if (host.isRunning()) {
    // Unknown deadline (restarted object) or work in flight: a fresh window.
    if (activity.deadline === undefined || activity.inflight > 0) activity.renew();
    else if (activity.isExpired()) {
      host.emitActivityExpired();
      const keepAlive = await host.onActivityExpired();
      if (keepAlive === true || host.isRunning()) activity.renew();
    }
  }
  const idleDeadline = host.isRunning() ? activity.deadline : undefined;
  await clock.reset(
    nextAlarmTime({ idleDeadline, nextSchedule: host.nextScheduleMs(), supervisor: host.supervisorDueAt() }),
  );
  if (idleDeadline !== undefined) await host.persistDeadline(idleDeadline);
}
