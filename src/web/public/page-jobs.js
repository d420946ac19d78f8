// The jobs page: newest first, filtered by status, rule, day and file name, updated live.
import { api } from './api.js';
import { dirName, duration, emptyState, FINAL, h, jobTitle, money, relTime, absTime, statusPill, STATUS_LABEL, count, toast, waitingFor, zoneName } from './dom.js';

const PAGE = 50;

export function mountJobs(main, { navigate }) {
  const query = new URLSearchParams(location.search);
  const filter = { status: query.get('status') ?? '', rule: query.get('rule') ?? '', day: query.get('day') ?? '', q: query.get('q') ?? '' };
  let shown = PAGE;
  let rules = [];
  let team = false;

  const banner = h('div');
  const chips = h('div', { class: 'chips', role: 'tablist', 'aria-label': 'Status' });
  const ruleSelect = h('select', { 'aria-label': 'Rule', onchange: () => update({ rule: ruleSelect.value }) });
  const dayInput = h('input', { type: 'date', 'aria-label': 'Day', value: filter.day, onchange: () => update({ day: dayInput.value }) });
  const search = h('input', { type: 'search', placeholder: 'Search file names', 'aria-label': 'Search file names', value: filter.q });
  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => update({ q: search.value.trim() }), 250);
  });
  const body = h('tbody');
  const table = h('table', { class: 'jobs' },
    h('thead', null, h('tr', null, h('th', { class: 'status-col' }, 'Status'), h('th', null, 'File'), h('th', { class: 'col-rule' }, 'Rule'), h('th', null, 'When'), h('th', { class: 'num col-took' }, 'Took'), h('th', { class: 'num col-cost' }, 'Cost'))),
    body);
  const more = h('button', { class: 'button subtle more', hidden: true, onclick: () => { shown += PAGE; refresh(); } }, 'Show older jobs');
  const list = h('div', { class: 'card flush' }, table);

  main.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Jobs'), h('p', { class: 'muted' }, `Every file your rules picked up, newest first. Times are ${zoneName()}, this computer's.`)),
    banner,
    h('div', { class: 'filters' }, chips, h('div', { class: 'filter-fields' }, ruleSelect, dayInput, search)),
    list,
    more,
  );

  function update(change) {
    Object.assign(filter, change);
    shown = PAGE;
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
    navigateQuietly(`/${q.size ? `?${q}` : ''}`);
    refresh();
  }

  function navigateQuietly(href) {
    history.replaceState(null, '', href);
  }

  function drawChips(counts) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const chip = (value, label, n) => h('button', {
      class: `chip ${value || 'all'}${filter.status === value ? ' active' : ''}`, role: 'tab', 'aria-selected': String(filter.status === value),
      onclick: () => update({ status: value }),
    }, label, h('span', { class: 'n' }, count(n)));
    chips.replaceChildren(chip('', 'All', total), ...Object.keys(STATUS_LABEL).map((s) => chip(s, STATUS_LABEL[s], counts[s] ?? 0)));
  }

  function drawRules() {
    const names = [...new Set([...rules, filter.rule].filter(Boolean))].sort();
    ruleSelect.replaceChildren(h('option', { value: '' }, 'All rules'), ...names.map((n) => h('option', { value: n, selected: n === filter.rule }, n)));
  }

  // On a team the folder is on the host that queued the job, which is not always the one that ran it.
  function hosts(job) {
    if (!team || !job.collected_by) return null;
    const words = !job.ran_by ? `queued on ${job.collected_by}` : job.ran_by === job.collected_by ? `queued and run on ${job.ran_by}` : `queued on ${job.collected_by} · run on ${job.ran_by}`;
    return h('div', { class: 'muted small hosts' }, words);
  }

  function row(job) {
    const href = `/jobs/${job.id}`;
    const name = jobTitle(job);
    const reason = job.reason && job.status !== 'succeeded' && !job.awaiting_approval ? h('div', { class: 'reason' }, job.reason) : null;
    return h('tr', { class: `job-row ${job.awaiting_approval ? 'needs-you' : ''}`, 'data-id': job.id, onclick: (e) => { if (!e.target.closest('a')) navigate(href); } },
      h('td', null, statusPill(job.status, job.awaiting_approval)),
      h('td', { class: 'file' }, h('a', { href, 'data-link': true }, name), h('div', { class: 'muted small path' }, job.file ? dirName(job.file) : `job #${job.id}`), hosts(job), reason),
      h('td', { class: 'col-rule' }, h('span', { class: 'rule-tag' }, job.rule)),
      h('td', { title: absTime(job.created_at) }, relTime(job.created_at)),
      h('td', { class: 'num muted col-took' }, job.status === 'running' ? `${duration(job.started_at)} so far` : FINAL.includes(job.status) ? duration(job.started_at, job.finished_at) : ''),
      h('td', { class: 'num col-cost' }, money(job.usage.cost_usd), job.runner === 'program' ? h('div', { class: 'muted small' }, `program v${job.program_version ?? '?'}`) : null),
    );
  }

  let inFlight = false;
  let again = false;
  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
      q.set('limit', String(shown));
      const data = await api(`/api/jobs?${q}`);
      team = Boolean(data.team);
      drawChips(data.counts);
      banner.replaceChildren(data.awaiting_approval ? h('div', { class: 'banner held' },
        h('strong', null, data.awaiting_approval === 1 ? `1 job is waiting for ${waitingFor()}.` : `${data.awaiting_approval} jobs are waiting for ${waitingFor()}.`),
        waitingFor() === 'your approval' ? ' Nothing is published until you say so. ' : ' Nothing is published until an approver says so. ',
        h('a', { href: '/?status=waiting', onclick: (e) => { e.preventDefault(); update({ status: 'waiting' }); } }, 'Show them')) : '');
      body.replaceChildren(...data.jobs.map(row));
      const filtered = Object.values(filter).some(Boolean);
      if (data.jobs.length === 0) {
        list.replaceChildren(filtered ? emptyState('No jobs match', 'Try another status, rule or day, or clear the search.')
          : emptyState('No jobs yet', 'Drop a file into one of your inboxes and it shows up here as it runs.'));
      } else if (!list.contains(table)) {
        list.replaceChildren(table);
      }
      more.hidden = !data.has_more;
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      inFlight = false;
      if (again) { again = false; refresh(); }
    }
  }

  api('/api/rules').then((data) => { rules = data.rules.map((r) => r.name); drawRules(); }).catch(() => drawRules());
  drawRules();
  refresh();
  // "3 min ago" ages even when nothing happens.
  const ticker = setInterval(refresh, 60000);
  return { refresh, wants: (kind) => kind !== 'step', cleanup: () => { clearInterval(ticker); clearTimeout(searchTimer); } };
}
