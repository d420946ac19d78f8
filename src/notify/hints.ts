/**
 * A failure or a wait, in a few words, with what the person can do about it. The job's
 * reason is written for the history; a notification has room for one line of it.
 */

export interface Advice {
  /** The reason, shortened to its first sentence. */
  what: string;
  /** One thing to do next. */
  todo: string;
}

interface Hint {
  test: RegExp;
  todo: (jobId: number) => string;
}

const FAILURE_HINTS: Hint[] = [
  { test: /api key|x-api-key|authentication|401|unauthori[sz]ed/i, todo: () => 'Check the API key in credentials.env: dropwork doctor' },
  { test: /no agent is installed/i, todo: () => 'This dropwork cannot run plain-English rules; use `actions:` instead' },
  { test: /rule ".*" no longer exists/i, todo: () => 'The rule was removed; nothing to do' },
  { test: /sandbox|docker|bubblewrap/i, todo: (id) => `Check the sandbox with dropwork doctor, then: dropwork jobs retry ${id}` },
  { test: /max_cost_usd|cost limit|too expensive/i, todo: (id) => `Raise max_cost_usd on the rule, then: dropwork jobs retry ${id}` },
  { test: /ENOSPC|no space left/i, todo: (id) => `Free some disk space, then: dropwork jobs retry ${id}` },
  { test: /EACCES|EPERM|permission denied/i, todo: (id) => `Check the folder's permissions, then: dropwork jobs retry ${id}` },
  { test: /stopped \d+ times while running/i, todo: (id) => `It crashed dropwork repeatedly; look at it with dropwork jobs show ${id}` },
];

const WAIT_HINTS: Hint[] = [
  { test: /approv/i, todo: (id) => `Look at the results and approve or deny: dropwork jobs show ${id}` },
  { test: /budget/i, todo: () => 'It goes on tomorrow; raise daily_budget_usd in config.yaml to go on today' },
  { test: /api key|credential/i, todo: () => 'Add ANTHROPIC_API_KEY to credentials.env in the dropwork home, then: dropwork doctor' },
];

export function failureAdvice(reason: string | null, jobId: number): Advice {
  const what = shorten(reason ?? 'it failed without saying why');
  const hint = FAILURE_HINTS.find((h) => h.test.test(reason ?? ''));
  return { what, todo: hint ? hint.todo(jobId) : `See what happened: dropwork jobs show ${jobId}` };
}

export function waitAdvice(reason: string | null, jobId: number): Advice {
  const what = shorten(reason ?? 'waiting');
  const hint = WAIT_HINTS.find((h) => h.test.test(reason ?? ''));
  return { what, todo: hint ? hint.todo(jobId) : `See why: dropwork jobs show ${jobId}` };
}

/** Waits that a person must act on look alike whatever the job: group them by kind. */
export function waitKind(reason: string | null): string {
  const r = reason ?? '';
  if (/approv/i.test(r)) return 'approval';
  if (/budget/i.test(r)) return 'budget';
  if (/api key|credential/i.test(r)) return 'api-key';
  return r;
}

/** The first sentence (or clause), at most `max` characters. */
export function shorten(text: string, max = 110): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const sentence = oneLine.match(/^.+?[.;](?=\s|$)/)?.[0] ?? oneLine;
  const cut = sentence.length > max ? `${sentence.slice(0, max - 1).trimEnd()}…` : sentence;
  return cut.replace(/[.;]$/, '');
}
