// `npm run eval`: the invoices ($DROPWORK_EVAL_INVOICES, else $DROPWORK_FIXTURES/invoices, else
// the repository's tests/fixtures/invoices) through a do: rule that extracts five
// fields, on each model, scored per field against their .expected.json: a markdown table a
// developer can paste into an issue. Real requests: it costs what the models cost.
//
//   npm run build && npm run eval [-- MODELS]      MODELS as `dropwork eval --models` takes them
//
// The models and keys are the person's own: config.yaml and credentials.env of the dropwork
// home (DROPWORK_HOME). Without MODELS: every provider under `providers:` whose server answers,
// and the default (Anthropic) model when a key is set. Nothing to run on: one line, exit 0.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(ROOT, 'dist', p));
const FIELDS = ['issuer', 'invoice_number', 'date', 'amount', 'currency'];
const TASK = `This is an invoice. Write one JSON object to output/fields.json with these fields: issuer (who issued it), invoice_number, date (the invoice date, YYYY-MM-DD), amount (the total to pay, a number), currency (its ISO 4217 code, such as EUR). A field you cannot find is null.`;

function invoices() {
  const fixtures = process.env.DROPWORK_FIXTURES && path.join(process.env.DROPWORK_FIXTURES, 'invoices');
  const candidates = [process.env.DROPWORK_EVAL_INVOICES, fixtures, path.join(ROOT, 'tests', 'fixtures', 'invoices')].filter(Boolean);
  return candidates.find((d) => fs.existsSync(d));
}

/** Does the server at base_url answer at all (any HTTP status)? */
async function answers(url) {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/models`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

const skip = (why) => {
  process.stdout.write(`eval skipped: ${why}\n`);
  process.exit(0);
};

const dir = invoices();
if (!dir) skip('no invoices found (tests/fixtures/invoices or $DROPWORK_EVAL_INVOICES)');
const { resolvePaths } = await dist('paths.js');
const { loadConfig } = await dist('config.js');
const { findKeyFor } = await dist('agent/credentials.js');
const { providerSettings } = await dist('agent/provider.js');
const { ruleSchema } = await dist('rules/schema.js');
const { toRule } = await dist('rules/rule.js');
const { casesFromFolder } = await dist('eval/cases.js');
const { parseModels } = await dist('eval/models.js');
const { runEval } = await dist('eval/eval.js');
const { formatReport } = await dist('eval/report.js');

const paths = resolvePaths();
const { config } = loadConfig(paths.configFile);
const rule = toRule(ruleSchema.parse({ name: 'invoice-fields', watch: 'inbox/invoice-fields', output: 'outputs/invoice-fields', do: TASK, max_cost_usd: 0.5 }), paths.home, { file: 'scripts/eval.mjs', line: 1 });

let models;
const asked = process.argv[2] ?? process.env.DROPWORK_EVAL_MODELS;
if (asked) models = parseModels(asked, rule, config);
else {
  models = [];
  for (const [name, p] of Object.entries(config.providers)) {
    if (!findKeyFor(paths.home, { ...p, name })) process.stderr.write(`${name}: no key (${p.key_env ?? 'OPENAI_API_KEY'}), left out\n`);
    else if (p.base_url && !(await answers(p.base_url))) process.stderr.write(`${name}: ${p.base_url} does not answer, left out\n`);
    else models.push({ label: name, provider: name });
  }
  if (findKeyFor(paths.home, providerSettings(config, undefined))) models.push({ label: config.model, provider: undefined, model: config.model });
}
if (models.length === 0) skip(`no API key and no model server configured (set ANTHROPIC_API_KEY, or add providers: to ${paths.configFile})`);

const cases = casesFromFolder(dir, /\.(pdf|png|jpe?g)$/i);
process.stderr.write(`${cases.length} invoice(s) from ${dir} on ${models.map((m) => m.label).join(', ')}\n`);
// Today's spending so far: the eval stops at the daily budget, as jobs do.
const { openStore } = await dist('queue/open.js');
let spentToday = 0;
if (fs.existsSync(paths.dbFile) || config.database) {
  const store = openStore(paths, config);
  spentToday = store.spentToday();
  store.close();
}
const results = await runEval({
  rule, models, cases, config, paths, spentToday, expectedDir: dir, fields: FIELDS,
  onCase: (m, r) => process.stderr.write(`  ${m.label}: ${r.input} ${r.verdict === 'failed' ? `failed: ${r.difference}` : 'done'}\n`),
});
process.stdout.write(formatReport(results));
