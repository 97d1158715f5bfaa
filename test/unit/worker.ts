// Entry point of the unit-test Worker: exports the fixture Durable Objects.
export { FieldContainer, OptionsContainer, PortlessContainer, TestContainer, UnconfiguredContainer } from "./objects/containers";

export default {
  fetch(): Response {
    return new Response("workerd-containers unit-test worker");
  },
};
