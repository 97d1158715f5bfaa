import type { Container } from "../../../src";
export declare class AssignedEgressContainer extends Container {}
