import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { daemonState, paths, withStore } from '../commands/shared.js';
import { dashboardUrl, uiToken } from './token.js';

/** The command that opens a URL in the person's browser on this platform. */
function opener(): [string, string[]] {
  if (process.platform === 'darwin') return ['open', []];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '']];
  return ['xdg-open', []];
}

function openInBrowser(url: string): Promise<boolean> {
  const [cmd, args] = opener();
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args, url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * `dropwork ui`: opens the dashboard, or prints its address with the token. The address the
 * running daemon reports wins over config.yaml, which may have changed since it started.
 */
export async function ui(opts: { printUrl?: boolean }): Promise<void> {
  const p = paths();
  const config = loadConfig(p.configFile).config;
  const token = uiToken(p);
  const state = withStore((store) => daemonState(store, p));
  const dashboard = state?.plugins.dashboard as { url?: string; port?: number; error?: string } | undefined;
  const port = dashboard?.port ?? config.port;
  const url = dashboardUrl(config, port, token);
  let problem: string | undefined;
  if (!state) problem = 'dropwork is not running, so nothing serves the dashboard yet; start it with: dropwork start';
  else if (dashboard?.error) problem = `dropwork is running but its dashboard is not: ${dashboard.error}`;
  else if (!dashboard?.url) problem = 'dropwork is running without its dashboard (see the daemon log)';
  if (opts.printUrl) {
    process.stdout.write(`${url}\n`);
    if (problem) {
      process.stderr.write(`dropwork: ${problem}\n`);
      process.exitCode = 1;
    }
    return;
  }
  if (problem) {
    process.stderr.write(`dropwork: ${problem}\n`);
    process.exitCode = 1;
    return;
  }
  const opened = await openInBrowser(url);
  process.stdout.write(opened ? `opening the dashboard: ${url}\n` : `open this address in your browser: ${url}\n`);
}

export function addUiCommand(program: Command): void {
  program.command('ui').description('open the dashboard in the browser (the daemon serves it)')
    .option('--print-url', 'print its address (with the access token) instead of opening it')
    .action(ui);
}
