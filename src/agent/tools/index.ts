/** Every tool the agent can be given, in the order the model sees them. */
import type { AgentTool } from '../tool.js';
import { listFiles } from './list_files.js';
import { readFile } from './read_file.js';
import { runCommand } from './run_command.js';
import { writeFile } from './write_file.js';

export const ALL_TOOLS = [listFiles, readFile, writeFile, runCommand] as unknown as AgentTool[];

/** run_command only where a sandbox can run it: never offered, rather than refused at every call. */
export function toolsFor(canRunCommands: boolean): AgentTool[] {
  return ALL_TOOLS.filter((t) => t !== (runCommand as unknown as AgentTool) || canRunCommands);
}
