// One job: what happened, what it cost, what it made, and the buttons to act on it.
import { api, post } from './api.js';
import { absTime, baseName, count, dirName, duration, FINAL, fileUrl, h, jobTitle, money, relTime, statusPill, toast, TRIGGER_WORDS, waitingFor, zoneName } from './dom.js';
import { revertPreview } from './revert.js';
import { TRANSCRIPT_KINDS, timelineEntry, transcriptEntry } from './transcript.js';

/** What the head says happened when the job was made. */
const QUEUED = { watch: 'dropped', schedule: 'scheduled', manual: 'run by hand', compile: 'queued to compile' };

/** When it ended and how long it took: only for a job that has ended (a held one is staged). */
function ended(job) {
  const fact = (label, value) => [h('dt', null, label), h('dd', null, value)];
  if (job.status === 'running') return fact('Running for', duration(job.started_at));
  if (job.awaiting_approval && job.finished_at) return [...fact('Staged', absTime(job.finished_at)), ...(job.started_at ? fact('Ran for', duration(job.started_at, job.finished_at)) : [])];
  if (!FINAL.includes(job.status) || !job.finished_at) return [];
  return [...fact('Finished', absTime(job.finished_at)), ...(job.started_at ? fact('Took', duration(job.started_at, job.finished_at)) : [])];
}

export function mountJob(main, { params }) {
  const id = Number(params[0]);
  const head = h('div', { class: 'page-head' });
  const approvalSlot = h('div');
  const revertSlot = h('div');
  const transcript = h('div', { class: 'transcript' });
  const transcriptCard = h('section', { class: 'card', 'aria-label': 'Transcript' }, h('h2', null, 'Transcript'), transcript);
  const timeline = h('ol', { class: 'timeline' });
  const details = h('section', { class: 'card' });
  const outputs = h('section', { class: 'card' });
  main.append(
    h('a', { class: 'back', href: '/', 'data-link': true }, '← All jobs'),
    head, approvalSlot, revertSlot,
    h('div', { class: 'columns' },
      h('div', { class: 'col-main' }, transcriptCard, h('section', { class: 'card' }, h('h2', null, 'Timeline'), timeline)),
      h('aside', { class: 'col-side' }, outputs, details)),
  );
  let shownLog = 0;
  let approvalKey = '';
  // The deny form stays as the person left it when the card is drawn again (the role or a live
  // update can arrive between their click on Deny… and their typing).
  let denyOpen = false;
  let denyText = '';
  let transcriptCount = 0;

  async function act(what, body, done) {
    try {
      const result = await post(`/api/jobs/${id}/${what}`, body);
      toast(done(result));
      refresh();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function drawHead(d) {
    const job = d.job;
    const name = jobTitle(job);
    const canRetry = ['failed', 'skipped', 'cancelled'].includes(job.status) || (job.status === 'waiting' && !job.awaiting_approval);
    const canCancel = ['queued', 'running'].includes(job.status) || (job.status === 'waiting' && !job.awaiting_approval);
    // Only a job that changed something has something to put back (a compile job publishes nothing).
    const canRevert = job.status === 'succeeded' && d.changed_files;
    document.title = `${name} · dropwork`;
    head.replaceChildren(...[
      h('div', { class: 'title-row' }, h('h1', { class: 'file-title' }, name), statusPill(job.status, job.awaiting_approval)),
      h('p', { class: 'muted' }, h('a', { class: 'rule-tag', href: `/rules#${encodeURIComponent(job.rule)}`, 'data-link': true }, job.rule),
        ` · job #${job.id} · ${QUEUED[job.trigger] ?? 'queued'} ${relTime(job.created_at)}`),
      job.reason && !job.awaiting_approval ? h('p', { class: `reason-box ${job.status}` }, job.reason) : null,
      job.reverted ? h('p', { class: 'muted' }, `Reverted ${job.reverted.by}, ${absTime(job.reverted.at)}`) : null,
      // Host names mean something only on a team (one machine is just "this computer").
      !d.team ? null : job.collected_by && job.ran_by && job.collected_by !== job.ran_by ? h('p', { class: 'muted' }, `Queued on ${job.collected_by} · run on ${job.ran_by}`)
        : job.ran_by && job.collected_by ? h('p', { class: 'muted' }, `Queued and run on ${job.ran_by}`) : job.collected_by ? h('p', { class: 'muted' }, `Queued on ${job.collected_by}`) : null,
      canRetry || canCancel || canRevert ? h('div', { class: 'actions' },
        canRevert ? h('button', { class: 'button', onclick: () => revertPreview(revertSlot, `/api/jobs/${id}/revert`, {}, refresh) }, 'Revert…') : null,
        canRetry ? h('button', { class: 'button', onclick: () => act('retry', {}, () => `Job ${id} queued again`) }, 'Retry') : null,
        canCancel ? h('button', { class: 'button danger-outline', onclick: () => act('cancel', {}, () => `Job ${id} cancelled`) }, 'Cancel job') : null) : null,
    ].filter(Boolean));
  }

  function drawApproval(d) {
    // The role may arrive after the first draw: a viewer is not asked for "your approval".
    const key = JSON.stringify(d.approval) + (document.body.dataset.role ?? '');
    if (key === approvalKey) return;
    approvalKey = key;
    if (!d.approval) return approvalSlot.replaceChildren();
    const a = d.approval;
    const reason = h('input', { type: 'text', name: 'reason', value: denyText, placeholder: 'Why not? (optional, kept with the job)', 'aria-label': 'Reason for denying', oninput: () => { denyText = reason.value; } });
    const denyForm = h('form', { class: 'deny-form', hidden: !denyOpen, onsubmit: (e) => { e.preventDefault(); act('deny', { reason: reason.value }, () => `Job ${id} denied; nothing was published`); } },
      reason, h('button', { class: 'button danger', type: 'submit' }, 'Deny'),
      h('button', { class: 'button subtle', type: 'button', onclick: () => { denyOpen = false; denyForm.hidden = true; } }, 'Keep waiting'));
    if (a.tool_call) {
      approvalSlot.replaceChildren(h('section', { class: 'card approval', 'aria-label': 'Approval' },
        h('h2', null, 'Waiting for your approval'),
        h('p', null, 'The job stopped before a connector call that changes things. Approving runs the job again with its connector calls allowed:'),
        h('pre', { class: 'tool-call' }, a.tool_call),
        h('div', { class: 'actions' },
          h('button', { class: 'button primary', onclick: () => act('approve', {}, () => 'Approved: the job runs again') }, 'Approve the call'),
          h('button', { class: 'button danger-outline', onclick: () => { denyOpen = true; denyForm.hidden = false; reason.focus(); } }, 'Deny…')),
        denyForm));
      return;
    }
    const note = (o) => {
      if (!o.exists) return null;
      if (o.on_conflict === 'overwrite') return h('span', { class: 'tag warn' }, 'replaces the existing file');
      if (o.on_conflict === 'skip') return h('span', { class: 'tag' }, 'exists: will be left as it is');
      return h('span', { class: 'tag' }, 'exists: saved under a new name');
    };
    approvalSlot.replaceChildren(h('section', { class: 'card approval', 'aria-label': 'Approval' },
      h('h2', null, `Waiting for ${waitingFor()}`),
      h('p', null, `The job has done its work. Nothing leaves its staging folder until you approve. Approving publishes ${a.outputs.length === 1 ? 'this file' : `these ${a.outputs.length} files`}:`),
      h('ul', { class: 'files' }, a.outputs.map((o) => h('li', null,
        h('a', { href: `/api/jobs/${id}/staged/${o.index}`, target: '_blank', rel: 'noopener', class: 'out-name', title: 'Look at it before approving' }, o.name),
        h('span', { class: 'muted small' }, 'preview'), ' ', note(o),
        h('div', { class: 'muted small path' }, dirName(o.dest))))),
      a.changes.length ? [h('p', null, h('strong', null, 'It will also change files outside its outputs:')),
        h('ul', { class: 'changes' }, a.changes.map((c) => h('li', null, c)))] : h('p', { class: 'muted' }, 'It changes nothing else: no existing file is replaced, moved or removed.'),
      h('div', { class: 'actions' },
        h('button', { class: 'button primary', onclick: () => act('approve', {}, (r) => `Approved: ${r.done.filter((x) => !x.startsWith('kept')).length} change(s) made`) }, 'Approve and publish'),
        h('button', { class: 'button danger-outline', onclick: () => { denyOpen = true; denyForm.hidden = false; reason.focus(); } }, 'Deny…')),
      denyForm));
  }

  function fact(label, value, title) {
    return [h('dt', null, label), h('dd', { title }, value || '—')];
  }

  function drawSide(d) {
    const job = d.job;
    const u = job.usage;
    details.replaceChildren(h('h2', null, 'Details'), h('p', { class: 'muted small zone' }, `Times are ${zoneName()}, this computer's.`), h('dl', { class: 'facts' },
      fact('Rule', job.rule),
      fact('How', TRIGGER_WORDS[job.trigger] ?? job.trigger),
      d.original ? fact('File', d.original.available ? h('a', { href: fileUrl(d.original.path), target: '_blank', rel: 'noopener' }, d.original.name) : h('span', { title: d.original.path }, `${d.original.name} (no longer there)`)) : null,
      d.original ? fact('Folder', h('span', { class: 'path' }, dirName(d.original.path))) : null,
      fact('Created', absTime(job.created_at)),
      job.started_at ? fact('Started', absTime(job.started_at)) : null,
      ...ended(job),
      fact('Attempts', job.attempts ? String(job.attempts) : 'not run yet'),
      job.runner === 'program' ? fact('Done by', `Learned program v${job.program_version ?? '?'} (no model call${u.cost_usd ? ' for the task; the cost is the if: check' : ''})`) : null,
      fact('Tokens', u.input_tokens || u.output_tokens ? `${count(u.input_tokens)} in · ${count(u.output_tokens)} out` : null,
        `cache read ${u.cache_read_tokens}, cache write ${u.cache_write_tokens}`),
      fact('Cost', money(u.cost_usd, d.rule.kind === 'agent'))));
    const list = job.outputs.map((o) => h('li', null,
      h('a', { href: fileUrl(o), target: '_blank', rel: 'noopener', class: 'out-name' }, baseName(o)),
      h('a', { href: fileUrl(o, true), class: 'small', download: baseName(o) }, 'download'),
      h('div', { class: 'muted small path' }, dirName(o))));
    const none = job.awaiting_approval ? `Nothing yet: waiting for ${waitingFor()}.` : job.status === 'succeeded' ? 'This job published nothing.' : 'Nothing published.';
    outputs.replaceChildren(h('h2', null, 'Outputs'), list.length ? h('ul', { class: 'files' }, list) : h('p', { class: 'muted' }, none));
  }

  function drawLog(d) {
    for (const e of d.log.slice(shownLog)) {
      if (TRANSCRIPT_KINDS.has(e.kind)) {
        transcript.append(transcriptEntry(e));
        transcriptCount++;
      } else {
        timeline.append(timelineEntry(e));
      }
    }
    shownLog = d.log.length;
    // Plain-step rules have no agent: the timeline says all there is, so the card goes away.
    // A learned program's job asks no model: it never has turns to show.
    transcriptCard.hidden = transcriptCount === 0 && (d.rule.kind !== 'agent' || d.job.runner === 'program');
    if (transcriptCount === 0) {
      transcript.replaceChildren(h('p', { class: 'muted' }, 'No agent turns yet.'));
    } else {
      for (const p of transcript.querySelectorAll(':scope > p.muted')) p.remove();
    }
  }

  async function refresh() {
    try {
      const d = await api(`/api/jobs/${id}`);
      drawHead(d);
      drawApproval(d);
      drawSide(d);
      drawLog(d);
    } catch (err) {
      if (err.status === 404) main.replaceChildren(h('div', { class: 'empty' }, h('strong', null, `There is no job ${id}`), h('p', null, h('a', { href: '/', 'data-link': true }, 'Back to the jobs'))));
      else toast(err.message, 'error');
    }
  }

  refresh();
  const ticker = setInterval(() => { if (head.querySelector('.pill.running')) refresh(); }, 5000);
  return {
    refresh,
    wants: (kind, data) => (kind === 'job' && data.id === id) || (kind === 'step' && data.job === id) || kind === 'changed' || kind === 'poll',
    cleanup: () => clearInterval(ticker),
  };
}
