/**
 * @module alarm
 * The single Durable Object alarm, shared by the idle timer and schedules.
 * It remembers the time it armed so that an alarm is only written when an
 * earlier one is needed; the alarm handler re-arms for whatever comes next.
 */

/** What the next alarm is for. */
export interface AlarmInputs {
  /** Idle deadline of a running container (ms), if any. */
  idleDeadline: number | undefined;
  /** Soonest pending schedule (ms), if any. */
  nextSchedule: number | undefined;
}

/** The time the next alarm must fire (ms), or `undefined` when nothing needs one. */
export function nextAlarmTime({ idleDeadline, nextSchedule }: AlarmInputs): number | undefined {
  if (idleDeadline === undefined) return nextSchedule;
  if (nextSchedule === undefined) return idleDeadline;
  return Math.min(idleDeadline, nextSchedule);
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
