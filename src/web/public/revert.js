// Revert: a preview first (the same plan `dropwork jobs revert --dry-run` prints), then the
// revert itself. Where later jobs changed the same files, the preview says which and offers to
// revert them too (cascade), newest first.
import { post } from './api.js';
import { h, toast } from './dom.js';

/**
 * Fills `slot` with the preview of reverting `url` (a job's or a rule's revert endpoint) with
 * `body`; `done` runs after a revert went through.
 */
export async function revertPreview(slot, url, body, done) {
  let plan;
  try {
    plan = await post(url, { ...body, dry_run: true });
  } catch (err) {
    toast(err.message, 'error');
    return;
  }
  // A rule's window ("since 1h") is reverted as previewed: the exact times the preview covered,
  // not "1h" read again a minute later.
  const sent = plan.window ? { ...body, since: plan.window.since, until: plan.window.until } : body;
  const later = [...new Set(plan.blockers.flatMap((b) => b.later))];
  const close = () => slot.replaceChildren();
  const run = async (cascade) => {
    try {
      const r = await post(url, { ...sent, cascade });
      close();
      toast(`Reverted ${r.reverted.length} job(s)`);
      done?.();
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  const blocked = !plan.ok;
  const steps = plan.steps.length
    ? h('ul', { class: 'changes' }, plan.steps.map((s) => h('li', null, plan.jobs.length > 1 ? `job ${s.job}: ${s.text}` : s.text)))
    : h('p', { class: 'muted' }, plan.jobs.length ? 'Nothing left to put back.' : 'No finished jobs to revert.');
  slot.replaceChildren(h('section', { class: 'card approval', 'aria-label': 'Revert' },
    h('h2', null, blocked ? 'This cannot be reverted as it is' : 'Revert: what will happen'),
    plan.window ? h('p', { class: 'small revert-window' }, `Jobs finished ${plan.window.text}: ${plan.jobs.length ? `${plan.jobs.length} (${plan.jobs.map((j) => `job ${j}`).join(', ')})` : 'none'}`) : null,
    blocked ? h('p', { class: 'reason-box failed' }, plan.why) : steps,
    h('div', { class: 'actions' },
      !blocked && plan.jobs.length ? h('button', { class: 'button primary', onclick: () => run(false) }, plan.jobs.length > 1 ? `Revert ${plan.jobs.length} jobs` : 'Revert') : null,
      blocked && later.length ? h('button', { class: 'button danger-outline', onclick: () => run(true) }, `Revert this and ${later.length} later job(s)`) : null,
      h('button', { class: 'button subtle', onclick: close }, 'Close'))));
}
