import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Anthropic from '@anthropic-ai/sdk';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareImage } from '../../src/agent/files/image.js';
import { describeFacts, factsOf } from '../../src/agent/files/kind.js';
import { runTool, type ToolOutput } from '../../src/agent/tool.js';
import { readFile } from '../../src/agent/tools/read_file.js';
import { invoice } from './helpers.js';
import { workspaceFor } from './workspace-helpers.js';

const HEIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'receipt-photo.heic');

async function read(file: string, input: Record<string, unknown> = {}, pdfMode: 'document' | 'text' = 'document'): Promise<{ content: ToolOutput; isError: boolean }> {
  const b = await workspaceFor(file);
  b.ctx.pdfMode = pdfMode;
  return runTool(readFile as never, 'read_file', { path: `input/${path.basename(file)}`, ...input }, b.ctx);
}

function imageOf(content: ToolOutput): Anthropic.Base64ImageSource {
  const block = (content as Anthropic.ContentBlockParam[]).find((b) => b.type === 'image') as Anthropic.ImageBlockParam;
  return block.source as Anthropic.Base64ImageSource;
}

describe('what a file is', () => {
  it('goes by content, not by name', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'dropwork-kind-'));
    const fake = path.join(dir, 'photo.jpg');
    fs.copyFileSync(invoice('oyo.pdf'), fake);
    expect(describeFacts(await factsOf(fake))).toBe('PDF, 23.9 KB, 1 page');
    expect((await factsOf(invoice('QualityHosting.pdf'))).pages).toBe(2);
    expect(describeFacts(await factsOf(invoice('oyo.png')))).toBe('image (image/png), 250.0 KB');
    expect((await factsOf(HEIC)).kind).toBe('heic');
  });
});

describe('read_file', () => {
  it('gives a PDF as a document block', async () => {
    const r = await read(invoice('oyo.pdf'));
    expect(r.isError).toBe(false);
    expect((r.content as Anthropic.ContentBlockParam[]).map((b) => b.type)).toEqual(['text', 'document']);
  });

  it('pages a PDF as text for a provider without PDF support', async () => {
    const r = await read(invoice('QualityHosting.pdf'), { offset: 2, limit: 1 }, 'text');
    expect(r.content).toMatch(/^Text of input\/QualityHosting\.pdf, pages 2-2 of 2\.\n--- page 2 ---/);
    const first = await read(invoice('QualityHosting.pdf'), { limit: 1 }, 'text');
    expect(first.content).toContain('pages 1-1 of 2. Pages 2-2 follow: read_file input/QualityHosting.pdf with offset 2.');
  });

  it('converts a HEIC photo to JPEG', async () => {
    const img = imageOf((await read(HEIC)).content);
    expect(img.media_type).toBe('image/jpeg');
    const { data, info } = await sharp(Buffer.from(img.data, 'base64')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 240]);
    const [r, g, b] = [data[0] ?? 0, data[1] ?? 0, data[2] ?? 0];
    expect(r).toBeGreaterThan(150); // the red half survived the conversion
    expect(g + b).toBeLessThan(120);
  });

  it('converts a TIFF scan and shrinks a large image to what the API uses', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'dropwork-tiff-'));
    const tiff = path.join(dir, 'scan.tiff');
    await sharp({ create: { width: 3000, height: 2000, channels: 3, background: { r: 255, g: 255, b: 255 } } }).tiff().toFile(tiff);
    const img = imageOf((await read(tiff)).content);
    const meta = await sharp(Buffer.from(img.data, 'base64')).metadata();
    expect([img.media_type, meta.width, meta.height]).toEqual(['image/jpeg', 1568, 1045]);
    const prepared = await prepareImage(fs.readFileSync(tiff), await factsOf(tiff));
    expect(prepared.note).toBe('converted from TIFF, scaled to 1568x1045');
  });

  it('pages a long text file by lines, and reads Latin-1 text', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'dropwork-text-'));
    const csv = path.join(dir, 'ledger.csv');
    fs.writeFileSync(csv, Array.from({ length: 100 }, (_, i) => `row ${i + 1}`).join('\n'));
    expect((await read(csv, { offset: 10, limit: 3 })).content).toBe('input/ledger.csv, lines 10-12 of 100 (next: offset 13):\nrow 10\nrow 11\nrow 12');
    expect((await read(csv, { offset: 99 })).content).toBe('input/ledger.csv, lines 99-100 of 100:\nrow 99\nrow 100');
    const latin = path.join(dir, 'café.txt');
    fs.writeFileSync(latin, Buffer.from('Caf\xe9 cr\xe8me 3,50 \x80\n', 'latin1'));
    expect((await read(latin)).content).toContain('Café crème 3,50');
  });

  it('describes other binaries in one line', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'dropwork-bin-'));
    const bin = path.join(dir, 'archive.zip');
    fs.writeFileSync(bin, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3, 0, 0xff]));
    expect((await read(bin)).content).toBe('input/archive.zip: binary file, 11 B; it is neither text, a PDF nor an image, so it cannot be shown.');
  });
});
