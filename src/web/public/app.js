// The dashboard's shell: a tiny router over four pages, and the live connection that tells the
// open page when jobs move (Server-Sent Events, with polling when they cannot be had).
import { api } from './api.js';
import { h } from './dom.js';
import { mountJobs } from './page-jobs.js';
import { mountJob } from './page-job.js';
import { mountRules } from './page-rules.js';
import { mountSpending } from './page-spending.js';

const ROUTES = [
  { re: /^\/(jobs\/?)?$/, nav: 'jobs', mount: mountJobs },
  { re: /^\/jobs\/(\d+)\/?$/, nav: 'jobs', mount: mountJob },
  { re: /^\/rules\/?$/, nav: 'rules', mount: mountRules },
  { re: /^\/spending\/?$/, nav: 'spending', mount: mountSpending },
];

class Live {
  constructor(indicator) {
    this.indicator = indicator;
    this.listeners = new Set();
    this.pollTimer = undefined;
    this.connect();
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(kind, data) {
    for (const fn of this.listeners) fn(kind, data);
  }

  state(name, text) {
    this.indicator.className = `live ${name}`;
    this.indicator.textContent = text;
  }

  connect() {
    if (!('EventSource' in window)) return this.poll();
    const es = new EventSource('/api/events');
    let opened = false;
    es.addEventListener('hello', () => {
      opened = true;
      this.stopPolling();
      this.state('on', 'Live');
      // Anything missed while disconnected: the page fetches afresh.
      this.emit('changed', {});
    });
    for (const kind of ['job', 'step', 'changed', 'rules']) {
      es.addEventListener(kind, (e) => this.emit(kind, JSON.parse(e.data)));
    }
    es.onerror = () => {
      this.state('off', opened ? 'Reconnecting…' : 'Offline');
      // The browser retries by itself; until it succeeds, the page polls.
      this.poll();
    };
  }

  poll() {
    if (this.pollTimer) return;
    if (this.indicator.classList.contains('on')) return;
    this.pollTimer = setInterval(() => this.emit('poll', {}), 3000);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }
}

const main = document.getElementById('main');
const live = new Live(document.getElementById('live'));
let current;

export function navigate(href, replace) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render();
}

async function render() {
  current?.cleanup?.();
  current = undefined;
  const path = location.pathname;
  const route = ROUTES.find((r) => r.re.test(path));
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === route?.nav);
  main.replaceChildren();
  if (!route) {
    main.append(h('div', { class: 'empty' }, h('strong', null, 'No such page'), h('p', null, h('a', { href: '/', 'data-link': true }, 'Back to the jobs'))));
    return;
  }
  const params = route.re.exec(path).slice(1);
  const page = route.mount(main, { params, navigate });
  let timer;
  const unlisten = live.on((kind, data) => {
    if (!page.wants || page.wants(kind, data)) {
      // A burst of events is one refresh.
      clearTimeout(timer);
      timer = setTimeout(() => page.refresh(), 150);
    }
  });
  current = { cleanup: () => { clearTimeout(timer); unlisten(); page.cleanup?.(); } };
}

/** Who is signed in, in the top bar; a viewer's page hides the buttons it may not use. */
async function showWho() {
  const me = await api('/api/me').catch(() => undefined);
  if (!me) return;
  document.body.dataset.role = me.role;
  // The open page may have drawn before the role was known ("your approval" to a viewer).
  if (me.role === 'viewer') live.emit('changed', {});
  if (!me.name) return;
  const who = document.getElementById('who');
  who.textContent = `${me.name} · ${me.role}`;
  who.title = `Signed in as ${me.name} (${me.role})`;
  who.hidden = false;
}

document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
render();
showWho();
