// Scenario 6, before the switch: the class on @cloudflare/containers 0.3.7.
import { Container } from "cloudflare-containers-original";
import handler, { type ContainerBase, handoverClass } from "./shared";

export class HandoverContainer extends handoverClass(Container as unknown as ContainerBase, "original") {}
export default handler;
