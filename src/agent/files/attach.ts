/**
 * A file as content blocks for the model: a PDF as a `document` block (or its extracted text
 * for providers without PDF support, config `provider.pdf: text`), an image as an `image`
 * block, text as text (paged by lines), anything else as a one-line description. Used by the
 * first request (so most receipts need no tool call at all) and by read_file.
 */
import fs from 'node:fs';
import type Anthropic from '@anthropic-ai/sdk';
import { agentSettings } from '../settings.js';
import { prepareImage } from './image.js';
import { describeFacts, type FileFacts } from './kind.js';
import { pdfText } from './pdf.js';

export type Block = Anthropic.TextBlockParam | Anthropic.ImageBlockParam | Anthropic.DocumentBlockParam;

export interface Shown {
  blocks: Block[];
  /** How the file was given, for the prompt and the history: "attached as a document". */
  how: string;
}

export interface Paging {
  /** First line (text) or page (PDF), from 1. */
  offset?: number | undefined;
  /** Lines (text) or pages (PDF). */
  limit?: number | undefined;
}

/** What the model can take, when less than Claude (providers with `vision: false` or a small `context:`). */
export interface ReaderLimits {
  /** Images are shown as images; otherwise described. @default true */
  images?: boolean | undefined;
  /** At most this many characters of text per request. */
  maxChars?: number | undefined;
}

const text = (t: string): Anthropic.TextBlockParam => ({ type: 'text', text: t });

export async function showFile(file: string, facts: FileFacts, shown: string, pdfMode: 'document' | 'text', paging: Paging = {}, purpose: 'prompt' | 'read' = 'read', reader: ReaderLimits = {}): Promise<Shown> {
  const paged = paging.offset !== undefined || paging.limit !== undefined;
  switch (facts.kind) {
    case 'pdf': {
      const fits = facts.size <= agentSettings.attachPdfMaxBytes && (facts.pages ?? Infinity) <= agentSettings.attachPdfMaxPages;
      if (pdfMode === 'document' && fits && !paged) {
        const data = fs.readFileSync(file).toString('base64');
        return { blocks: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } }], how: 'attached as a document' };
      }
      return pdfPages(file, shown, paging, purpose, reader.maxChars);
    }
    case 'image':
    case 'heic':
    case 'tiff': {
      if (reader.images === false) {
        const what = `${shown}: ${describeFacts(facts)}. This model cannot see images (its provider says vision: false), so only these facts can be given; its name may say what it is.`;
        return { blocks: [text(what)], how: 'described only (this model cannot see images)' };
      }
      const img = await prepareImage(fs.readFileSync(file), facts);
      return { blocks: [img.block], how: `attached as an image${img.note ? ` (${img.note})` : ''}` };
    }
    case 'text':
      return textLines(file, facts, shown, paging, purpose, reader.maxChars);
    case 'empty':
      return { blocks: [text(`${shown} is empty.`)], how: 'empty' };
    default:
      return { blocks: [text(`${shown}: ${describeFacts(facts)}; it is neither text, a PDF nor an image, so it cannot be shown.`)], how: 'described only (binary)' };
  }
}

async function pdfPages(file: string, shown: string, paging: Paging, purpose: 'prompt' | 'read', maxChars = Infinity): Promise<Shown> {
  const first = paging.offset ?? 1;
  const wanted = paging.limit ?? 20;
  const got = await pdfText(fs.readFileSync(file), first, first + wanted - 1);
  let body = got.text;
  const cap = Math.min(maxChars, purpose === 'prompt' ? agentSettings.attachTextMaxChars : agentSettings.readTextMaxChars);
  const small = maxChars < Infinity ? ' to fit the model\'s context' : '';
  if (body.length > cap) body = `${body.slice(0, cap)}\n[... cut at ${cap} characters${small}]`;
  const more = got.last < got.pages ? ` Pages ${got.last + 1}-${got.pages} follow: read_file ${shown} with offset ${got.last + 1}.` : '';
  const empty = body.replace(/--- page \d+ ---/g, '').trim() === '' ? ' (no text layer: this PDF looks scanned)' : '';
  const head = `Text of ${shown}, pages ${got.first}-${got.last} of ${got.pages}${empty}.${more}`;
  return { blocks: [text(`${head}\n${body}`)], how: `text of pages ${got.first}-${got.last} of ${got.pages}` };
}

/** Text files are paged in memory; a log this big is a job for run_command (grep, head). */
const TEXT_MAX_BYTES = 64 * 1024 * 1024;

function textLines(file: string, facts: FileFacts, shown: string, paging: Paging, purpose: 'prompt' | 'read', maxChars = Infinity): Shown {
  if (facts.size > TEXT_MAX_BYTES) {
    return { blocks: [text(`${shown} is ${describeFacts(facts)}: too big to read here; search it with a command instead.`)], how: 'too big to read' };
  }
  const all = fs.readFileSync(file).toString(facts.encoding === 'latin1' ? 'latin1' : 'utf8');
  const lines = all.split('\n');
  if (purpose === 'prompt' && all.length <= Math.min(maxChars, agentSettings.attachTextMaxChars)) {
    return { blocks: [text(`<file name="${shown}">\n${all}\n</file>`)], how: 'included as text' };
  }
  if (purpose === 'prompt') {
    return { blocks: [], how: `not included (${lines.length} lines, ${all.length} characters): read it with read_file, page by page` };
  }
  const first = Math.max(1, paging.offset ?? 1);
  const cap = Math.min(maxChars, agentSettings.readTextMaxChars);
  const out: string[] = [];
  let chars = 0;
  let last = first - 1;
  const limit = paging.limit ?? 2000;
  for (let i = first - 1; i < lines.length && out.length < limit; i++) {
    const line = lines[i] ?? '';
    if (chars + line.length + 1 > cap && out.length > 0) break;
    out.push(line.length > cap ? `${line.slice(0, cap)} [... line cut]` : line);
    chars += line.length + 1;
    last = i + 1;
  }
  if (first > lines.length) return { blocks: [text(`${shown} has only ${lines.length} lines.`)], how: 'past the end' };
  const whole = first === 1 && last >= lines.length;
  const head = whole ? `${shown} (${lines.length} lines):` : `${shown}, lines ${first}-${last} of ${lines.length}${last < lines.length ? ` (next: offset ${last + 1})` : ''}:`;
  return { blocks: [text(`${head}\n${out.join('\n')}`)], how: whole ? 'whole text' : `lines ${first}-${last}` };
}
