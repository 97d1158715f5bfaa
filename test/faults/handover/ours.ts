// Scenario 6, after the switch: the same class on this package.
import { Container } from "../../../src";
import handler, { type ContainerBase, handoverClass } from "./shared";

export class HandoverContainer extends handoverClass(Container as unknown as ContainerBase, "ours") {}
export default handler;
