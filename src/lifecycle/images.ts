/**
 * @module lifecycle/images
 * Named images: a start's `image` resolved through the runtime's `images`
 * (wrangler's `containers[].images`), and the error that names the
 * configured images when the runtime has no such image.
 */

import { classifyRuntimeError } from "../errors";
import type { ContainerRuntime } from "../runtime";

/** The runtime's named images (an older runtime has none, or throws when asked). */
export function runtimeImages(runtime: ContainerRuntime): Readonly<Record<string, string>> | undefined {
  try {
    return runtime.images;
  } catch {
    return undefined;
  }
}

/**
 * The image reference to start: `images[image]` when `image` is one of the
 * runtime's named images (`ctx.container.images`), else `image` itself (a
 * reference already).
 */
export function resolveImage(image: string, images: Readonly<Record<string, string>> | undefined): string {
  return images !== undefined && Object.hasOwn(images, image) ? images[image]! : image;
}

/**
 * The error to raise in place of the runtime's "No such image available
 * named …": names the image (as asked, or as the runtime named it) and the
 * named images this container has.
 */
export function noImageError(
  image: string,
  images: Readonly<Record<string, string>> | undefined,
  cause?: unknown,
): Error {
  const names = Object.keys(images ?? {});
  // `image` may be a name or the reference a name stands for.
  const named = names.find((name) => name === image) ?? names.find((name) => images![name] === image);
  let message: string;
  if (named !== undefined) {
    message =
      `No image ${JSON.stringify(images![named])} (named ${JSON.stringify(named)} in wrangler's ` +
      "containers[].images) is available to this container: the runtime has no image under that reference; " +
      "check that wrangler built or pulled it.";
  } else if (names.length > 0) {
    message =
      `No image ${JSON.stringify(image)} is available to this container: configured named images are ` +
      `${names.map((name) => JSON.stringify(name)).join(", ")} (wrangler's containers[].images), ` +
      "or pass a full image reference.";
  } else {
    message =
      `No image ${JSON.stringify(image)} is available to this container: no named images are configured ` +
      "(wrangler's containers[].images), so pass a full image reference.";
  }
  return cause === undefined ? new Error(message) : new Error(message, { cause });
}

/**
 * A start of `image` failed with `error`: the error naming the image and
 * the configured names when the runtime says it has no such image, or
 * (it reports that only in its log) when the image is none of them.
 */
export function imageStartError(
  runtime: ContainerRuntime,
  image: string | undefined,
  error: unknown,
): Error | undefined {
  if (image === undefined) return undefined;
  const images = runtimeImages(runtime) ?? {};
  const unknown = Object.keys(images).length > 0 && !Object.values(images).includes(image);
  if (classifyRuntimeError(error).kind !== "no-image" && !unknown) return undefined;
  return noImageError(image, images, error);
}
