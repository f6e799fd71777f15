// `skiff agent` until SIGTERM/SIGINT. Pods keep running when the agent stops;
// the next start takes them back.
import { startAgent, type AgentOptions } from './agent-command.js';

export async function runAgent(opts: AgentOptions): Promise<number> {
  const agent = await startAgent(opts);
  process.stdout.write(`skiff agent ready\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}
