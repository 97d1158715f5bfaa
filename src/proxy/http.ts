/**
 * @module proxy/http
 * HTTP to the container: argument forms of `containerFetch`, the scheme
 * rewrite, and a streaming pass-through that counts as activity until the
 * response body is done.
 */

import type { ActivityTracker } from "../activity";
import { CONTAINER_BASE_URL } from "../constants";
import { ContainerHttpError, classifyRuntimeError, messageOf } from "../errors";
import type { RuntimeTcpPort } from "../runtime";

/**
 * The URL as the container sees it: relative URLs resolve against
 * `http://container`, and `https:` becomes `http:`. Only the scheme changes;
 * `https:` inside the path or query is left alone (the original replaced the
 * first occurrence anywhere in the string).
 */
export function containerUrl(url: string | URL): string {
  const parsed = new URL(url, CONTAINER_BASE_URL);
  if (parsed.protocol === "https:") parsed.protocol = "http:";
  return parsed.href;
}

/** `containerFetch`'s two call forms, normalised to a request and an optional port. */
export function toContainerRequest(
  input: Request | string | URL,
  initOrPort?: (RequestInit & { wake?: boolean }) | number,
  port?: number,
): { request: Request; port: number | undefined } {
  if (input instanceof Request) {
    const chosen = typeof initOrPort === "number" ? initOrPort : port;
    // Re-using the incoming request as the init keeps its body stream as is.
    return { request: new Request(containerUrl(input.url), input), port: chosen };
  }
  if (typeof initOrPort === "number") {
    return { request: new Request(containerUrl(input)), port: initOrPort };
  }
  // `wake` is the library's own option, not part of the request.
  const { wake: _wake, ...init } = initOrPort ?? {};
  return { request: new Request(containerUrl(input), init), port };
}

/** Whether `request` asks for a WebSocket upgrade. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/**
 * Send `request` to the container, counting it as activity. On success the
 * caller gets `end`, to call when the exchange is over; a connection failure
 * comes back as a 500 response with the activity already ended.
 */
export async function sendUpstream(
  port: RuntimeTcpPort,
  request: Request,
  activity: ActivityTracker,
): Promise<{ response: Response; end?: () => void }> {
  const end = activity.begin();
  try {
    return { response: await port.fetch(request), end };
  } catch (error) {
    end();
    return { response: proxyErrorResponse(error) };
  }
}

/**
 * Send `request` to the container and stream the answer back. The request
 * counts as activity until the response body has been fully read or cancelled.
 * Connection failures become 500 responses.
 */
export async function proxyHttp(port: RuntimeTcpPort, request: Request, activity: ActivityTracker): Promise<Response> {
  const { response, end } = await sendUpstream(port, request, activity);
  if (!end) return response;
  if (response.body === null || response.webSocket) {
    end();
    return response;
  }
  const { readable, writable } = passThrough(response.headers.get("content-length"));
  // A native pipe: bytes move without passing through JavaScript. Both
  // outcomes end the activity and the rejection is consumed here, so a client
  // that disconnects mid-body never surfaces as an unhandled rejection.
  response.body.pipeTo(writable).then(end, (error: unknown) => {
    end();
    // If the pipe could not even begin, the client must not wait forever.
    writable.abort(error).catch(() => {});
  });
  return new Response(readable, response);
}

/** A native pass-through stream; fixed-length when the length is known, so it is kept. */
function passThrough(contentLength: string | null): ReadableWritablePair<Uint8Array, Uint8Array> {
  const length = contentLength === null ? Number.NaN : Number(contentLength);
  if (Number.isSafeInteger(length) && length >= 0) return new FixedLengthStream(length);
  return new IdentityTransformStream();
}

/** The response for a request the container could not answer. */
export function proxyErrorResponse(error: unknown): Response {
  const failure = classifyRuntimeError(error);
  const message =
    failure.kind === "connection-lost"
      ? "Container suddenly disconnected, try again"
      : `Error proxying request to container: ${messageOf(error)}`;
  return new ContainerHttpError(message, 500, { cause: error }).toResponse();
}
