// The rules: whether each one is valid (with the located error when not), what it does, its last
// runs, and a dry run on a file from its own inbox.
import { api, post } from './api.js';
import { baseName, emptyState, h, jobTitle, relTime, statusPill, toast, zoneName } from './dom.js';
import { revertPreview } from './revert.js';

export function mountRules(main) {
  const problems = h('div');
  const hosts = h('div');
  const grid = h('div', { class: 'rule-grid' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Rules'), h('p', { class: 'muted', id: 'rules-folder' }, 'What your rules do, and whether dropwork can run them.')),
    problems, hosts, grid);

  // A team's hosts each read their own rules/ folder: a rule that reads differently on two of
  // them is a problem, shown with the hosts (only when several hosts share one database).
  function drawHosts(d) {
    if (!d.hosts.length) return hosts.replaceChildren();
    hosts.replaceChildren(h('section', { class: 'card', id: 'hosts' },
      h('h2', null, 'Hosts'),
      h('ul', null, d.hosts.map((x) => h('li', null, h('strong', null, x.name), ` · ${x.role === 'all' ? 'collects files and runs jobs' : x.role === 'collect' ? 'collects files' : 'runs jobs'} · ${x.version} · `,
        x.alive ? `${x.running} running, heard from ${relTime(x.last_heartbeat)}` : h('span', { class: 'tag warn' }, `not heard from since ${relTime(x.last_heartbeat)}`)))),
      d.rule_differences.length ? h('ul', { class: 'problems' }, d.rule_differences.map((r) => h('li', null,
        `Rule “${r.rule}” is not the same on every host (${Object.keys(r.hosts).join(', ')}): copy one rules file to the others.`))) : null));
  }

  function drawProblems(list) {
    if (!list.length) return problems.replaceChildren();
    problems.replaceChildren(h('section', { class: 'card problems' },
      h('h2', null, list.length === 1 ? '1 problem in your rule files' : `${list.length} problems in your rule files`),
      h('ul', null, list.map((p) => h('li', null,
        h('div', { class: 'where' }, `${baseName(p.file)}:${p.line}:${p.col}`, p.field ? h('code', null, p.field) : null),
        h('div', null, p.message),
        p.excerpt !== null ? h('pre', { class: 'excerpt' }, h('span', { class: 'ln' }, String(p.line).padStart(4)), `  ${p.excerpt}\n`,
          h('span', { class: 'caret' }, `${' '.repeat(6 + Math.max(0, p.col - 1))}^`)) : null,
        h('div', { class: 'muted small path' }, p.file))))));
  }

  function tryFile(rule) {
    const select = h('select', { 'aria-label': `A file in the inbox of ${rule.name}` }, h('option', { value: '' }, 'Loading the inbox…'));
    const result = h('div', { class: 'dry-result', 'aria-live': 'polite' });
    const button = h('button', { class: 'button', type: 'submit', disabled: true }, 'Test');
    const form = h('form', { class: 'dry-run', onsubmit: async (e) => {
      e.preventDefault();
      if (!select.value) return;
      button.disabled = true;
      try {
        const r = await post(`/api/rules/${encodeURIComponent(rule.name)}/test`, { file: select.value });
        result.replaceChildren(h('div', { class: `verdict ${r.match ? 'yes' : 'no'}` }, r.match ? `✓ ${baseName(r.file)} matches` : `✗ ${baseName(r.file)} does not match: ${r.why}`),
          r.steps.length ? h('ul', null, r.steps.map((s) => h('li', null, s))) : null);
      } catch (err) {
        toast(err.message, 'error');
      } finally {
        button.disabled = false;
      }
    } }, select, button);
    api(`/api/rules/${encodeURIComponent(rule.name)}/inbox`).then((d) => {
      if (!d.files.length) {
        select.replaceChildren(h('option', { value: '' }, 'The inbox is empty'));
        return;
      }
      select.replaceChildren(...d.files.map((f) => h('option', { value: f.path }, f.relative)));
      button.disabled = false;
    }).catch((err) => select.replaceChildren(h('option', { value: '' }, err.message)));
    return h('div', { class: 'try' }, h('h3', null, 'Test a file against this rule'), form, result);
  }

  // "Revert since": every job of the rule from that time on, newest first, after a preview.
  function revertSince(rule) {
    const since = h('input', { type: 'text', name: 'since', value: '1h', size: 16, 'aria-label': `Revert jobs of ${rule.name} since`, title: '"30m", "2h", "1h30m", "2d", "today", "yesterday", "monday", "last week" or "2026-11-30 14:00"' });
    const slot = h('div');
    const form = h('form', { class: 'revert-since', onsubmit: (e) => {
      e.preventDefault();
      revertPreview(slot, `/api/rules/${encodeURIComponent(rule.name)}/revert`, { since: since.value }, refresh);
    } }, since, h('button', { class: 'button', type: 'submit' }, 'Preview revert'));
    return h('div', { class: 'try' }, h('h3', null, 'Revert this rule’s jobs since'), form, slot);
  }

  // A learned program (compiled rules): what it is, and the decision when one is ready.
  function programBox(rule) {
    const p = rule.program;
    if (!p) return null;
    const decide = (decision) => async () => {
      try {
        await post(`/api/rules/${encodeURIComponent(rule.name)}/program`, { decision });
        toast(decision === 'approve' ? `New files of ${rule.name} now run its program, without the model` : `Program of ${rule.name}: ${decision === 'reject' ? 'rejected' : 'forgotten'}`);
        refresh();
      } catch (err) {
        toast(err.message, 'error');
      }
    };
    const words = { suggested: 'A program is ready: it reproduced every example', approved: 'New files run its program, without the model', rejected: 'Its program was rejected', not_compilable: `Not compilable${p.reason ? `: ${p.reason}` : ''}` };
    // Nobody approves blind: the program and its replay on each example come first, and the
    // buttons only once they are shown.
    const review = h('div', { class: 'program-review', 'aria-live': 'polite' }, p.status === 'suggested' ? h('p', { class: 'muted small' }, 'Loading the program and its replays…') : null);
    if (p.status === 'suggested') {
      api(`/api/rules/${encodeURIComponent(rule.name)}/program`).then((d) => review.replaceChildren(
        h('p', { class: 'small' }, h('strong', null, 'Its replay on each example')),
        d.replay.length ? h('ul', { class: 'replays' }, d.replay.map((r) => h('li', { class: r.exact ? 'good' : 'bad' },
          r.exact ? '✓ ' : '✗ ', h('a', { href: `/jobs/${r.job}`, 'data-link': true }, `job ${r.job}`), ` (${r.input}): `,
          r.exact ? `the same result, in ${r.durationMs} ms` : r.differences.join('; ')))) : h('p', { class: 'muted small' }, 'No replays were recorded.'),
        h('p', { class: 'small' }, h('strong', null, 'The program: '), h('code', null, d.source_sha256 ? `program/main.py (sha256 ${d.source_sha256.slice(0, 12)})` : 'program/main.py')),
        h('pre', { class: 'code program-source' }, d.source ?? ''),
        h('div', { class: 'actions' },
          h('button', { class: 'button', type: 'button', onclick: decide('approve') }, 'Approve'), ' ',
          h('button', { class: 'button', type: 'button', onclick: decide('reject') }, 'Reject')),
      )).catch((err) => review.replaceChildren(h('p', { class: 'reason-box failed' }, `The program could not be shown, so it cannot be approved here: ${err.message}`)));
    }
    return h('div', { class: 'try' }, h('h3', null, `Learned program v${p.version}`),
      h('p', { class: 'small' }, words[p.status] ?? p.status, ' (', h('code', null, `dropwork rules program ${rule.name}`), ')'),
      review,
      p.status === 'approved' ? h('button', { class: 'button', type: 'button', onclick: decide('forget') }, 'Forget it') : null);
  }

  function card(rule, collects) {
    const badges = [
      rule.valid ? h('span', { class: 'tag good' }, 'valid') : h('span', { class: 'tag bad' }, 'has problems'),
      h('span', { class: 'tag' }, rule.kind === 'agent' ? 'agent' : 'plain steps'),
      rule.approve !== 'never' ? h('span', { class: 'tag warn', title: rule.holds_next_job ? 'the next job waits for approval' : 'approved for this version of the rule' }, `approve: ${rule.approve}`) : null,
      rule.schedule ? h('span', { class: 'tag' }, `schedule ${rule.schedule}`) : null,
      rule.network ? h('span', { class: rule.network.startsWith('network: all') ? 'tag warn' : 'tag', title: 'what the commands of this rule\'s jobs may reach' }, rule.network) : null,
    ];
    return h('section', { class: 'card rule', id: rule.name },
      h('div', { class: 'rule-head' }, h('h2', null, rule.name), h('div', { class: 'badges' }, badges)),
      rule.problem ? h('p', { class: 'reason-box failed' }, rule.problem) : null,
      ...(rule.missing_inboxes || []).map((m) => h('p', { class: 'reason-box failed' }, m)),
      h('p', { class: 'does' }, rule.description),
      rule.if ? h('p', { class: 'small' }, h('strong', null, 'Only if: '), rule.if) : null,
      h('dl', { class: 'facts compact' },
        rule.watch.length ? [h('dt', null, 'Inbox'), h('dd', { class: 'path' }, rule.watch.join(', '))] : null,
        h('dt', null, 'Files'), h('dd', null, rule.files.join(', ') === '*' ? 'any file' : rule.files.join(', ')),
        h('dt', null, 'Outputs'), h('dd', { class: 'path' }, rule.output),
        h('dt', null, 'Afterwards'), h('dd', null, rule.after === 'keep' ? 'keeps the original' : rule.after === 'trash' ? 'moves the original to the trash' : rule.after.replace('move to', 'moves the original to')),
        h('dt', null, 'Defined in'), h('dd', { class: 'path' }, `${baseName(rule.file)}:${rule.line}`)),
      h('h3', null, 'Last runs'),
      rule.last_runs.length ? h('ul', { class: 'runs' }, rule.last_runs.map((j) => h('li', null,
        statusPill(j.status, j.status === 'waiting' && j.reason === 'awaiting approval'),
        h('a', { href: `/jobs/${j.id}`, 'data-link': true }, jobTitle(j)),
        h('span', { class: 'muted small' }, relTime(j.created_at))))) : h('p', { class: 'muted small' }, 'No runs yet.'),
      programBox(rule),
      !rule.watch.length ? null : collects ? tryFile(rule)
        : h('div', { class: 'try' }, h('h3', null, 'Test a file against this rule'), h('p', { class: 'muted small' }, 'This host only runs jobs (role: work): the hosts that collect files watch this rule’s inboxes, so test a file on one of them.')),
      rule.last_runs.length ? revertSince(rule) : null);
  }

  async function refresh() {
    try {
      const d = await api('/api/rules');
      drawProblems(d.problems);
      drawHosts(await api('/api/hosts'));
      document.getElementById('rules-folder').textContent = `What your rules do, and whether dropwork can run them. They live in ${d.rules_folder}. Times are ${zoneName()}, this computer's.`;
      grid.replaceChildren(...(d.rules.length ? d.rules.map((r) => card(r, d.collects !== false)) : [emptyState('No rules yet', 'Add a YAML file to the rules folder; it is picked up as soon as it is saved.')]));
      if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  refresh();
  // A rule's runs change with every job, but redrawing would reset a dry run being read.
  return { refresh, wants: (kind) => kind === 'rules' };
}
