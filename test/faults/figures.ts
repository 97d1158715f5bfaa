// Figures of the faults suite. Each scenario records what it sent and what
// happened; scripts/run-faults.mjs collects the lines into a table
// (coverage/faults-results.md; test/faults/RESULTS.md too with `npm run results:faults`).
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIGURES_FILE = join(dirname(fileURLToPath(import.meta.url)), "../../coverage/faults-figures.jsonl");

/** One row of the results table. */
export interface Figure {
  /** Scenario number and name as the issue lists them, e.g. "1 concurrent cold start". */
  scenario: string;
  /** The case within the scenario. */
  detail: string;
  /** Requests (or calls) sent. */
  sent: number;
  /** Requests that got no answer or a wrong one, not counting those failed on purpose. */
  lost: number;
  /** Requests failed on purpose by the scenario (a crash, a port that never opens). */
  failedOnPurpose?: number;
  /** Containers Docker started during the case. */
  started: number;
  /** Containers or processes left behind that should not be. */
  leaks: number;
  /** Anything else measured, as "name: value" strings (times, memory). */
  measured?: string[];
  /** Real workerd + Docker, or the fake runtime. */
  runtime: "workerd + Docker" | "fake runtime (workerd)";
}

export function recordFigure(figure: Figure): void {
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ ...figure, at: new Date().toISOString() })}\n`);
  console.log(
    `[figure] ${figure.scenario} — ${figure.detail}: sent ${figure.sent}, lost ${figure.lost}, started ` +
      `${figure.started}, leaks ` +
      `${figure.leaks}${figure.measured?.length ? `; ${figure.measured.join(", ")}` : ""}`,
  );
}
