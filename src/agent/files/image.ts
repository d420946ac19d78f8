/**
 * Images as the API takes them: JPEG, PNG, GIF or WebP, at most 5 MB encoded. HEIC photos
 * (iPhones) are converted with heic-convert, TIFF scans with sharp, and anything larger than
 * the API would use is scaled down first: the API shrinks big images anyway, so sending the
 * full resolution only costs upload time and risks the size limit.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { ToolError, errorMessage } from '../../errors.js';
import { agentSettings } from '../settings.js';
import type { FileFacts } from './kind.js';

type ApiImageType = Anthropic.Base64ImageSource['media_type'];

export interface PreparedImage {
  block: Anthropic.ImageBlockParam;
  /** What was done to it, for the history: "converted from HEIC, scaled to 1108x1568". */
  note: string;
}

/** `maxEdge`: the condition model needs far fewer pixels than the agent to tell what a picture is. */
export async function prepareImage(data: Buffer, facts: FileFacts, maxEdge = agentSettings.imageMaxEdgePx): Promise<PreparedImage> {
  const notes: string[] = [];
  let bytes = data;
  let type = facts.mime as ApiImageType;
  try {
    if (facts.kind === 'heic') {
      const convert = (await import('heic-convert')).default;
      const jpeg = await convert({ buffer: bytes, format: 'JPEG', quality: 0.9 });
      bytes = Buffer.isBuffer(jpeg) ? jpeg : Buffer.from(new Uint8Array(jpeg));
      type = 'image/jpeg';
      notes.push('converted from HEIC');
    }
    const sharp = (await import('sharp')).default;
    const meta = await sharp(bytes).metadata();
    const edge = Math.max(meta.width ?? 0, meta.height ?? 0);
    const animated = (meta.pages ?? 1) > 1 && type === 'image/gif';
    const tooBig = edge > maxEdge || bytes.length > agentSettings.imageMaxBytes;
    if (facts.kind === 'tiff' || (tooBig && !animated)) {
      const max = maxEdge;
      let img = sharp(bytes, { pages: 1 }).rotate().resize({ width: max, height: max, fit: 'inside', withoutEnlargement: true });
      // PNG keeps transparency and sharp text; photos are far smaller as JPEG.
      const png = meta.hasAlpha === true || type === 'image/png';
      img = png ? img.png({ compressionLevel: 9 }) : img.jpeg({ quality: 85 });
      const out = await img.toBuffer({ resolveWithObject: true });
      if (facts.kind === 'tiff') notes.push('converted from TIFF');
      if (edge > max) notes.push(`scaled to ${out.info.width}x${out.info.height}`);
      bytes = out.data;
      type = png ? 'image/png' : 'image/jpeg';
      if (bytes.length > agentSettings.imageMaxBytes) {
        bytes = await sharp(bytes).jpeg({ quality: 70 }).toBuffer();
        type = 'image/jpeg';
        notes.push('re-encoded as JPEG to fit 5 MB');
      }
    }
  } catch (err) {
    throw new ToolError(`${facts.name} could not be read as an image: ${errorMessage(err)}`);
  }
  if (bytes.length > agentSettings.imageMaxBytes) throw new ToolError(`${facts.name} is too large to show even after scaling`);
  return {
    block: { type: 'image', source: { type: 'base64', media_type: type, data: bytes.toString('base64') } },
    note: notes.join(', '),
  };
}
