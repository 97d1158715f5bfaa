// Fixtures for the WebSocket proxy modes: the main fixture with an echo server
// on 8080 that remembers every upgrade response it hands out, so a test can
// tell the container's own response from the relay's.
import type { FakeContainer } from "../../../src/testing";
import { TestContainer } from "./containers";
import { echoServer } from "./servers";

/** The upgrade responses the container side produced, newest last, per Durable Object id. */
export const upgradesSent = new Map<string, Response[]>();

/** The default mode (relay), with upgrades recorded. */
export class UpgradeRecordingContainer extends TestContainer {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const key = ctx.id.toString();
    (ctx.container as unknown as FakeContainer).ports.set(8080, async (request) => {
      const response = await echoServer(request);
      if (response.webSocket) upgradesSent.set(key, [...(upgradesSent.get(key) ?? []), response]);
      return response;
    });
  }
}

/** The opt-in pass-through mode, as a class field. */
export class PassThroughContainer extends UpgradeRecordingContainer {
  override webSocketProxy: "relay" | "pass-through" | undefined = "pass-through";
}
