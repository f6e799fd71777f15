// Runs `skiff image ...` alone, without the rest of the CLI, for the image tests.
import { runImageCommand } from '../../src/cli/image-command.js';

runImageCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`skiff image: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
