import { describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from '../../src/agent/prompt.js';
import { toApiTool } from '../../src/agent/tool.js';
import { ALL_TOOLS, toolsFor } from '../../src/agent/tools/index.js';

describe('the tools as the model sees them', () => {
  it('list_files', () => {
    expect(toApiTool(ALL_TOOLS[0]!)).toMatchInlineSnapshot(`
      {
        "description": "List a folder of the workspace (default: its root) with each entry's type and size.",
        "input_schema": {
          "properties": {
            "path": {
              "description": "e.g. input or output/covers",
              "type": "string",
            },
          },
          "type": "object",
        },
        "name": "list_files",
      }
    `);
  });

  it('read_file', () => {
    expect(toApiTool(ALL_TOOLS[1]!)).toMatchInlineSnapshot(`
      {
        "description": "Read a file. Text comes back paged by lines; offset/limit count pages for a PDF read as text.",
        "input_schema": {
          "properties": {
            "limit": {
              "minimum": 1,
              "type": "integer",
            },
            "offset": {
              "description": "first line (or page), from 1",
              "minimum": 1,
              "type": "integer",
            },
            "path": {
              "minLength": 1,
              "type": "string",
            },
          },
          "required": [
            "path",
          ],
          "type": "object",
        },
        "name": "read_file",
      }
    `);
  });

  it('write_file', () => {
    expect(toApiTool(ALL_TOOLS[2]!)).toMatchInlineSnapshot(`
      {
        "description": "Write a text file into output/ (folders are created). Replaces the file, or adds to its end with append.",
        "input_schema": {
          "properties": {
            "append": {
              "type": "boolean",
            },
            "content": {
              "type": "string",
            },
            "path": {
              "description": "e.g. output/summary.md",
              "minLength": 1,
              "type": "string",
            },
          },
          "required": [
            "path",
            "content",
          ],
          "type": "object",
        },
        "name": "write_file",
      }
    `);
  });

  it('run_command', () => {
    expect(toApiTool(ALL_TOOLS[3]!)).toMatchInlineSnapshot(`
      {
        "description": "Run a shell command (sh -c) in a sandbox, in the workspace root: input/ read-only, output/ writable, no network unless the rule allows it.",
        "input_schema": {
          "properties": {
            "command": {
              "minLength": 1,
              "type": "string",
            },
            "timeout_s": {
              "maximum": 3600,
              "minimum": 1,
              "type": "integer",
            },
          },
          "required": [
            "command",
          ],
          "type": "object",
        },
        "name": "run_command",
      }
    `);
  });

  it('offers run_command only with a sandbox', () => {
    expect(toolsFor(false).map((t) => t.name)).toEqual(['list_files', 'read_file', 'write_file']);
    expect(toolsFor(true).map((t) => t.name)).toEqual(['list_files', 'read_file', 'write_file', 'run_command']);
  });

  it('keeps the fixed overhead small: system prompt and tools under 3,000 characters', () => {
    // About 4 characters a token: well under the 1,500-token goal (scripts/bench/agent.mjs counts it exactly).
    const chars = SYSTEM_PROMPT.length + JSON.stringify(toolsFor(true).map(toApiTool)).length;
    expect(chars).toBeLessThan(3000);
  });
});
