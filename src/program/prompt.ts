/**
 * What the compile job's model is told: the rule's task, its examples (each input, and what the
 * agent's job published, with a ledger's content before and after), and what to write.
 */
import fs from 'node:fs';
import type { Block } from '../agent/files/attach.js';
import { asText } from './compare.js';
import { afterOf, beforeOf, type Example } from './examples.js';

/** Outputs this small are shown in the prompt; bigger ones the model reads with its tools. */
const INLINE_BYTES = 4000;

function shownContent(file: string, shown: string): string {
  const content = fs.readFileSync(file);
  const text = content.length <= INLINE_BYTES ? asText(content) : undefined;
  return text === undefined ? `${shown} (${content.length} bytes; read it with your tools)` : `${shown}:\n\`\`\`\n${text}${text.endsWith('\n') ? '' : '\n'}\`\`\``;
}

export function describeExample(e: Example, n: number): string {
  const at = `input/examples/${n}`;
  const lines = [`Example ${n} (job ${e.job}): the file was input/${e.input}; here it is ${at}/input/${e.input}.`];
  for (const o of e.outputs) {
    if (o.kind === 'created') lines.push(`It wrote the new file output/${o.path}; ${shownContent(afterOf(e, o.path), `${at}/after/${o.path}`)}`);
    else {
      lines.push(`It ${o.kind === 'appended' ? 'appended to' : 'replaced'} output/${o.path}. Before, ${shownContent(beforeOf(e, o.path), `${at}/before/${o.path}`)}`);
      lines.push(`After, ${shownContent(afterOf(e, o.path), `${at}/after/${o.path}`)}`);
    }
  }
  return lines.join('\n');
}

export function compilePrompt(task: string, examples: readonly Example[], condition?: string): { content: Block[]; summary: string } {
  // The condition stays with the small model, decided before the program runs (runners.ts).
  const only = condition ? `\n\nThe rule only takes files for which this holds: "${condition}". Another model decides that before the program runs, so the program gets only such files and need not check it.` : '';
  const text = `This is a compile job. A rule has given the same task to an agent for every file it received, and the agent has done it ${examples.length} times. Write a program that does the task without a model, so that new files of the same kind are handled by the program.

The rule's task:
${task}${only}

What the agent did (copies of each input and of what it published are under input/examples/):

${examples.map((e, i) => describeExample(e, i + 1)).join('\n\n')}

Write the program to output/program/main.py: Python 3 with the standard library and the sandbox's libraries (pypdf, pdfminer.six, the pdftotext command, openpyxl, python-docx, reportlab, Pillow); no network.
It runs with the workspace root as its working directory, like this job: the new file is the only file in input/ and output/ holds the outputs folder's existing files (such as a ledger). It must write to output/ exactly what the agent would have written (same files, same content; append to an existing file as the agent did).
When a file is not of a kind it knows how to handle, it must write nothing and exit with code 3; the file then goes to the agent.
You can try it with run_command while you write it, e.g. copy an example into /tmp (mkdir -p /tmp/t/input /tmp/t/output; cp input/examples/1/input/* /tmp/t/input/; cp -r input/examples/1/before/. /tmp/t/output/ 2>/dev/null; cd /tmp/t && python3 /workspace/output/program/main.py) and compare with the example's after/ files.
If the task cannot be done by a program (each result needs judgement, such as a free-text summary), write no program and reply with a sentence starting "cannot be compiled:" and the reason.`;
  return { content: [{ type: 'text', text }], summary: text };
}
