/**
 * @module outbound/config
 * Runtime outbound configuration (the `setOutbound…`/`allowHost`… calls),
 * persisted under `OUTBOUND_CONFIGURATION` in the original's shape so it
 * survives restarts and a switch of library.
 */

import { OUTBOUND_CONFIGURATION_KEY } from "../constants";
import type { OutboundHandlerOverride } from "./types";

/** The persisted shape (field names are the original's; do not rename). */
export interface OutboundConfiguration {
  outboundByHostOverrides?: Record<string, OutboundHandlerOverride>;
  outboundHandlerOverride?: OutboundHandlerOverride;
  /** Runtime replacement of the `allowedHosts` field. */
  allowedHosts?: string[];
  /** Runtime replacement of the `deniedHosts` field. */
  deniedHosts?: string[];
  hasInterceptAllRegistration?: true;
}

/** Loads, holds and persists the runtime outbound configuration. */
export class OutboundConfigStore {
  readonly #storage: DurableObjectStorage;
  #config: OutboundConfiguration = {};

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** Read the persisted configuration (once, at start-up). */
  async load(): Promise<void> {
    const stored = await this.#storage.get<OutboundConfiguration>(OUTBOUND_CONFIGURATION_KEY);
    this.#config = stored && typeof stored === "object" ? stored : {};
  }

  /** The current configuration (a copy). */
  get current(): OutboundConfiguration {
    return structuredClone(this.#config);
  }

  /** Whether anything was configured at runtime. */
  get isEmpty(): boolean {
    const c = this.#config;
    return (
      Object.keys(c.outboundByHostOverrides ?? {}).length === 0 &&
      c.outboundHandlerOverride === undefined &&
      c.allowedHosts === undefined &&
      c.deniedHosts === undefined
    );
  }

  /** Apply `change` to a copy, then store it. */
  async update(change: (config: OutboundConfiguration) => void): Promise<void> {
    const next = structuredClone(this.#config);
    change(next);
    if (next.outboundByHostOverrides && Object.keys(next.outboundByHostOverrides).length === 0) {
      delete next.outboundByHostOverrides;
    }
    next.hasInterceptAllRegistration = true;
    this.#config = next;
    await this.#storage.put(OUTBOUND_CONFIGURATION_KEY, next);
  }
}
