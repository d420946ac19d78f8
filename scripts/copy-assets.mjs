// tsc compiles .ts only; the SQL migrations and dashboard assets are copied beside the output.
import fs from 'node:fs';
import path from 'node:path';

const copy = (from, to) => {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) copy(src, dest);
    else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dest);
    }
  }
};
copy('src/queue/migrations', 'dist/queue/migrations');
copy('src/web/public', 'dist/web/public');
