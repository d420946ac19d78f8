/**
 * What a file is, from its first bytes rather than its name (a receipt saved as ".jpg" that is
 * really a PDF is still read as a PDF). Names only refine the label of text files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pdfPageCount } from './pdf.js';

export type FileKind = 'pdf' | 'image' | 'heic' | 'tiff' | 'text' | 'binary' | 'empty';

export interface FileFacts {
  name: string;
  size: number;
  kind: FileKind;
  /** A MIME type: image/png, application/pdf, text/csv ... */
  mime: string;
  /** PDFs: how many pages (undefined when the PDF cannot be opened). */
  pages?: number | undefined;
  /** Text that is not valid UTF-8 is read as Latin-1. */
  encoding?: 'utf-8' | 'latin1';
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);
const TEXT_TYPES: Record<string, string> = {
  '.csv': 'text/csv', '.tsv': 'text/tab-separated-values', '.md': 'text/markdown', '.json': 'application/json',
  '.html': 'text/html', '.htm': 'text/html', '.xml': 'application/xml', '.yaml': 'application/yaml', '.yml': 'application/yaml',
};

export function sniff(head: Buffer, name: string): Pick<FileFacts, 'kind' | 'mime' | 'encoding'> {
  if (head.length === 0) return { kind: 'empty', mime: 'text/plain' };
  const ascii = head.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('%PDF-')) return { kind: 'pdf', mime: 'application/pdf' };
  if (head[0] === 0x89 && ascii.slice(1, 4) === 'PNG') return { kind: 'image', mime: 'image/png' };
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { kind: 'image', mime: 'image/jpeg' };
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return { kind: 'image', mime: 'image/gif' };
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return { kind: 'image', mime: 'image/webp' };
  if (ascii.slice(4, 8) === 'ftyp' && HEIC_BRANDS.has(ascii.slice(8, 12))) return { kind: 'heic', mime: 'image/heic' };
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return { kind: 'tiff', mime: 'image/tiff' };
  const encoding = textEncoding(head);
  if (!encoding) return { kind: 'binary', mime: 'application/octet-stream' };
  return { kind: 'text', mime: TEXT_TYPES[path.extname(name).toLowerCase()] ?? 'text/plain', encoding };
}

/** UTF-8 if it decodes (a character cut at the end of the sample is fine), else Latin-1 if it looks like text. */
function textEncoding(head: Buffer): 'utf-8' | 'latin1' | undefined {
  if (head.includes(0)) return undefined;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    let control = 0;
    for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
    return control / head.length < 0.02 ? 'latin1' : undefined;
  }
}

export async function factsOf(file: string, name = path.basename(file)): Promise<FileFacts> {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(Math.min(size, 8192));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    head = buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
  const facts: FileFacts = { name, size, ...sniff(head, name) };
  // Counting pages means loading the PDF: past this size the count is not worth the memory.
  if (facts.kind === 'pdf' && size <= 256 * 1024 * 1024) facts.pages = await pdfPageCount(fs.readFileSync(file));
  return facts;
}

const LABELS: Record<FileKind, string> = { pdf: 'PDF', image: 'image', heic: 'HEIC photo', tiff: 'TIFF image', text: 'text', binary: 'binary file', empty: 'empty file' };

/** "PDF, 40.0 KB, 2 pages" */
export function describeFacts(f: FileFacts): string {
  const size = f.size < 1024 ? `${f.size} B` : f.size < 1024 * 1024 ? `${(f.size / 1024).toFixed(1)} KB` : `${(f.size / 1024 / 1024).toFixed(1)} MB`;
  const kind = f.kind === 'text' || f.kind === 'image' ? `${LABELS[f.kind]} (${f.mime})` : LABELS[f.kind];
  const pages = f.pages !== undefined ? `, ${f.pages} page${f.pages === 1 ? '' : 's'}` : '';
  return `${kind}, ${size}${pages}`;
}
