#!/usr/bin/env node
// The workerd-containers command: `npx workerd-containers <subcommand>`.
// Node built-ins only; the library (dist/) does not depend on any of this.
import { DEV_HELP, dev } from "../cli/dev.mjs";
import { DOCTOR_HELP, doctor } from "../cli/doctor.mjs";

const COMMANDS = {
  doctor: { summary: "check this machine and project for what `wrangler dev` with containers needs", run: doctor },
  dev: { summary: "run the project's `wrangler dev`, adding what this machine lacks for containers", run: dev },
};

const HELP = `Usage: workerd-containers <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`)
  .join("\n")}

Run \`workerd-containers <command> --help\` for a command's options.

doctor:
${DOCTOR_HELP.replace(/^(?=.)/gm, "  ")}

dev:
${DEV_HELP.replace(/^(?=.)/gm, "  ")}`;

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(`${HELP}\n`);
  process.exit(command === undefined ? 2 : 0);
}
const entry = COMMANDS[command];
if (!entry) {
  process.stderr.write(
    `workerd-containers: unknown command "${command}". Accepted commands: ${Object.keys(COMMANDS).join(", ")}.\n` +
      "Run `workerd-containers --help` for usage.\n",
  );
  process.exit(2);
}
const { code } = await entry.run(args);
process.exitCode = code;
