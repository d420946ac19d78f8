import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../src/paths.js';

describe('where things live', () => {
  it('keeps inboxes and outputs in a visible ~/dropwork on every platform, settings where the platform keeps them', () => {
    expect(resolvePaths({ HOME: '/Users/ana' }, 'darwin')).toMatchObject({ home: '/Users/ana/Library/Application Support/dropwork', files: '/Users/ana/dropwork' });
    expect(resolvePaths({ HOME: '/home/ana' }, 'linux')).toMatchObject({ home: '/home/ana/.config/dropwork', dataDir: '/home/ana/.local/share/dropwork', files: '/home/ana/dropwork' });
  });

  it('takes DROPWORK_FILES first, and keeps a DROPWORK_HOME whole (tests, portable set-ups)', () => {
    expect(resolvePaths({ HOME: '/home/ana', DROPWORK_FILES: '~/Documents/drops' }, 'linux').files).toBe('/home/ana/Documents/drops');
    expect(resolvePaths({ HOME: '/home/ana', DROPWORK_HOME: '/srv/dw' }, 'linux')).toMatchObject({ home: '/srv/dw', dataDir: '/srv/dw', files: '/srv/dw' });
    expect(resolvePaths({ HOME: '/home/ana', DROPWORK_HOME: '/srv/dw', DROPWORK_FILES: '/srv/files' }, 'linux').files).toBe('/srv/files');
  });
});
