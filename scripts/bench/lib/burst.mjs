// A burst of small files dropped at once into a running daemon's inbox: every file queued exactly
// once, how long that takes, the daemon's memory, the copy jobs' completion rate, and then its
// CPU at rest with all those files still in the inbox.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cpuSeconds, makeHome, memoryKb, removeHome, sampleRss, sleep, startDaemon } from './daemon.mjs';

const RULE = 'burst';

export async function measureBurst({ files = 10_000, ruleConcurrency = 2, settleMs = 200, goalS = 20, queueTimeoutS = 300, stallS = 30, completeTimeoutS = 600, idleS = 60 } = {}) {
  const home = makeHome(RULE, {
    config: `settle_ms: ${settleMs}\nnotify: false\nconcurrency: 2\n`,
    // concurrency on the rule too: a rule's own limit defaults to 1, which would cap the daemon's
    // global 2 for a single rule.
    rule: `name: ${RULE}\nwatch: inbox/burst\noutput: outputs/burst\nconcurrency: ${ruleConcurrency}\nactions:\n  - copy: out\n`,
  });
  const inbox = path.join(home, 'inbox', 'burst');
  const outDir = path.join(home, 'outputs', 'burst', 'out');
  fs.mkdirSync(inbox, { recursive: true });
  const daemon = await startDaemon(home);
  const rss = sampleRss(daemon.pid);
  const result = { files, ruleConcurrency, startRssKb: memoryKb(daemon.pid).rss };
  try {
    const { db, pid } = daemon;
    const stats = db.prepare(`SELECT count(*) AS n, max(created_at) AS last_queued,
        sum(status = 'succeeded') AS succeeded, sum(status = 'failed') AS failed, sum(status = 'skipped') AS skipped,
        min(started_at) AS first_started, max(finished_at) AS last_finished
      FROM jobs WHERE rule = ?`);
    const salt = randomBytes(4).toString('hex');
    const cpuBefore = cpuSeconds(pid);
    const t0 = Date.now();
    for (let i = 0; i < files; i++) {
      // Distinct content: the queue runs the same content once per rule, by design.
      fs.writeFileSync(path.join(inbox, `f${String(i).padStart(5, '0')}.txt`), `burst ${salt} ${i}\n`);
    }
    result.writeS = (Date.now() - t0) / 1000;

    // Queued: every file has its job row, whatever the row's status by now. A slow queue is
    // waited for (to tell slow from lost) until nothing has moved for `stallS` seconds.
    let s = stats.get(RULE);
    const queueDeadline = t0 + queueTimeoutS * 1000;
    let lastN = -1;
    let lastChange = Date.now();
    while (s.n < files && Date.now() < queueDeadline && Date.now() - lastChange < stallS * 1000) {
      await sleep(100);
      s = stats.get(RULE);
      if (s.n !== lastN) [lastN, lastChange] = [s.n, Date.now()];
      if (result.queuedAtGoal === undefined && Date.now() - t0 >= goalS * 1000) result.queuedAtGoal = s.n;
    }
    result.queuedAtGoal ??= s.n;
    result.queued = s.n;
    result.queueS = s.n >= files ? (s.last_queued - t0) / 1000 : NaN;
    result.doneWhileQueueing = s.succeeded ?? 0;
    result.hwmQueuedKb = memoryKb(pid).hwm;
    result.cpuQueueS = cpuSeconds(pid) - cpuBefore;

    const completeDeadline = Date.now() + completeTimeoutS * 1000;
    while ((s.succeeded ?? 0) + (s.failed ?? 0) + (s.skipped ?? 0) < s.n && Date.now() < completeDeadline) {
      await sleep(250);
      s = stats.get(RULE);
    }
    result.succeeded = s.succeeded ?? 0;
    result.failed = s.failed ?? 0;
    result.skipped = s.skipped ?? 0;
    result.completeS = (s.last_finished - t0) / 1000;
    result.completeRate = result.succeeded / ((s.last_finished - s.first_started) / 1000);
    result.outputs = fs.existsSync(outDir) ? fs.readdirSync(outDir).length : 0;
    Object.assign(result, checkOnce(db, inbox, files));
    result.hwmKb = memoryKb(pid).hwm;
    result.rssSampledKb = rss.stop();
    result.cpuTotalS = cpuSeconds(pid) - cpuBefore;

    // At rest: everything processed, all the files still in the inbox (after: keep).
    await sleep(2000);
    const idleStart = cpuSeconds(pid);
    const idleT = Date.now();
    await sleep(idleS * 1000);
    result.idleCpuPct = ((cpuSeconds(pid) - idleStart) / ((Date.now() - idleT) / 1000)) * 100;
    result.idleS = idleS;
    result.idleRssKb = memoryKb(pid).rss;
    result.inboxFiles = fs.readdirSync(inbox).length;
    return result;
  } finally {
    rss.stop();
    await daemon.stop();
    removeHome(home);
  }
}

/** Exactly once: one row per file and per content, none missing, none for files never dropped. */
function checkOnce(db, inbox, files) {
  const dupFiles = db.prepare('SELECT count(*) AS n FROM (SELECT file FROM jobs WHERE rule = ? GROUP BY file HAVING count(*) > 1)').get(RULE).n;
  const dupShas = db.prepare('SELECT count(*) AS n FROM (SELECT sha256 FROM jobs WHERE rule = ? GROUP BY sha256 HAVING count(*) > 1)').get(RULE).n;
  const seen = new Set(db.prepare('SELECT file FROM jobs WHERE rule = ?').pluck().all(RULE));
  let missing = 0;
  for (let i = 0; i < files; i++) {
    if (!seen.has(path.join(inbox, `f${String(i).padStart(5, '0')}.txt`))) missing++;
  }
  const strangers = seen.size - (files - missing);
  return { dupFiles, dupShas, missing, strangers };
}
