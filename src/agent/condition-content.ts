/**
 * What the condition model sees of a file: its name, type and size, and its beginning: the
 * first pages' text of a PDF, the head of a text file, a small version of an image. Enough to
 * say "is this a receipt?" for a fraction of a cent; the whole file is the agent's business.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { Block } from './files/attach.js';
import { prepareImage } from './files/image.js';
import { describeFacts, factsOf } from './files/kind.js';
import { pdfText } from './files/pdf.js';

const HEAD_CHARS = 6000;
const PDF_PAGES = 3;
/** A scanned PDF (no text layer) this small is sent whole; a bigger one is judged by its name. */
const SCANNED_PDF_MAX = { bytes: 5 * 1024 * 1024, pages: 5 };
const IMAGE_EDGE = 768;

const text = (t: string): Anthropic.TextBlockParam => ({ type: 'text', text: t });

export async function conditionContent(file: string | null, input: string | undefined, pdfMode: 'document' | 'text', images = true, readFrom = file): Promise<Block[]> {
  if (!file) {
    const names = input && fs.existsSync(input) ? fs.readdirSync(input).filter((n) => !n.startsWith('.')).slice(0, 50) : [];
    return [text(`A scheduled run. Its input folder holds ${names.length ? names.join(', ') : 'nothing'}.`)];
  }
  const name = path.basename(file);
  const at = readFrom ?? file;
  const facts = await factsOf(at, name);
  const about = text(`File: ${name} (${describeFacts(facts)})`);
  switch (facts.kind) {
    case 'text': {
      const head = fs.readFileSync(at).subarray(0, HEAD_CHARS * 2).toString(facts.encoding === 'latin1' ? 'latin1' : 'utf8').slice(0, HEAD_CHARS);
      return [about, text(`<file_start>\n${head}\n</file_start>`)];
    }
    case 'pdf': {
      const data = fs.readFileSync(at);
      const got = await pdfText(data, 1, PDF_PAGES).catch(() => undefined);
      const words = got?.text.replace(/--- page \d+ ---/g, '').trim() ?? '';
      if (words) return [about, text(`<first_pages>\n${got?.text.slice(0, HEAD_CHARS)}\n</first_pages>`)];
      const small = facts.size <= SCANNED_PDF_MAX.bytes && (facts.pages ?? Infinity) <= SCANNED_PDF_MAX.pages;
      if (pdfMode === 'document' && small) return [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data.toString('base64') } }, about];
      return [about, text('(a PDF without a text layer, too big to send whole: judge by the name)')];
    }
    case 'image':
    case 'heic':
    case 'tiff': {
      // A model without vision (`vision: false`) judges by the name and the facts.
      if (!images) return [about];
      const img = await prepareImage(fs.readFileSync(at), facts, IMAGE_EDGE).catch(() => undefined);
      return img ? [img.block, about] : [about];
    }
    default:
      return [about];
  }
}
