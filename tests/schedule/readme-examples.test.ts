/**
 * The rule examples of the README's "Schedules" and "Notifications" sections, word for word,
 * through the real rule loader: docs that stop loading fail here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../src/rules/load.js';

const README_EXAMPLES = {
  'weekly-spending': `name: weekly-spending
schedule: "0 8 * * MON"        # minute hour day-of-month month weekday
timezone: Europe/Paris          # optional; default: this computer's
catch_up: true                  # ran at the next start if dropwork was off at 8:00
input: outputs/receipts         # the job's input/ folder
output: outputs/weekly-spending
notify: failures                # only tell me when something goes wrong
do: |
  Read receipts.csv and write "spending <today's date>.md" with last week's totals.
`,
  'night-scans': `name: night-scans
watch: inbox/scans
schedule: "0 30 2 * * *"        # six fields: seconds first (02:30:00 every night)
output: outputs/scans
actions:
  - move: "{modified:YYYY}/{modified:MM}"
`,
};

describe('README examples', () => {
  it.each(Object.entries(README_EXAMPLES))('%s loads without errors', (name, yaml) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dropwork-readme-'));
    const file = path.join(home, `${name}.yaml`);
    fs.writeFileSync(file, yaml);
    const { rules, errors } = loadRuleFile(file, home);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(rules[0]?.name).toBe(name);
    expect(rules[0]?.schedule).toBeDefined();
    fs.rmSync(home, { recursive: true });
  });
});
