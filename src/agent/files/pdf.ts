/**
 * PDF facts and text, with unpdf (a maintained, dependency-free build of Mozilla's PDF.js 5).
 * Text is what a provider without PDF support gets instead of the document,
 * what the condition model reads, and how a PDF too big to attach is paged through.
 */

type Proxy = Awaited<ReturnType<typeof import('unpdf')['getDocumentProxy']>>;

async function open(data: Buffer): Promise<Proxy> {
  const { getDocumentProxy } = await import('unpdf');
  // A copy: PDF.js may take over (detach) the buffer it is given.
  // verbosity 0: errors only; PDF.js otherwise prints font warnings on stdout.
  // Untrusted PDFs: PDF.js 5 no longer compiles anything with eval or new Function (its
  // isEvalSupported option is gone: PostScript functions go to WebAssembly or an interpreter,
  // tests/agent/pdf-eval.test.ts checks the bundle), and XFA forms and font loading stay off.
  return getDocumentProxy(new Uint8Array(data), { verbosity: 0, enableXfa: false, disableFontFace: true, useSystemFonts: false });
}

/** Pages, or undefined for a PDF that cannot be opened (damaged, or encrypted with a password). */
export async function pdfPageCount(data: Buffer): Promise<number | undefined> {
  try {
    const pdf = await open(data);
    try {
      return pdf.numPages;
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch {
    return undefined;
  }
}

export interface PdfText {
  pages: number;
  /** Text of pages first..last, each headed "--- page N ---". */
  text: string;
  first: number;
  last: number;
}

/** One page's text, as unpdf's extractText joins it (items, with their line ends). */
async function pageText(pdf: Proxy, n: number): Promise<string> {
  const content = await (await pdf.getPage(n)).getTextContent();
  // Text items carry `str`; marked-content items do not.
  const items = content.items as { str?: string; hasEOL?: boolean }[];
  return items.map((item) => (item.str === undefined ? '' : item.str + (item.hasEOL ? '\n' : ''))).join('');
}

/**
 * Text of pages `first`..`last` (1-based, clamped), those pages only: the first pages of a
 * 900-page PDF cost what a short one does. A scanned PDF yields little or none.
 */
export async function pdfText(data: Buffer, first = 1, last = Number.POSITIVE_INFINITY): Promise<PdfText> {
  const pdf = await open(data);
  try {
    const pages = pdf.numPages;
    const from = Math.max(1, Math.min(first, pages));
    const to = Math.max(from, Math.min(last, pages));
    const parts: string[] = [];
    for (let n = from; n <= to; n++) parts.push(`--- page ${n} ---\n${(await pageText(pdf, n)).trim()}`);
    return { pages, text: parts.join('\n'), first: from, last: to };
  } finally {
    await pdf.loadingTask.destroy();
  }
}
