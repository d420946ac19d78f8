/**
 * A model with a small context window (config `context:` of a provider, such as 8192 for a
 * small local model): the file is cut to what fits, each request's max_tokens to what is left,
 * and a conversation that no longer fits ends the job with the reason, instead of a server
 * that silently drops the start of the prompt (Ollama does) or answers 400.
 */
import { UnrecoverableError } from '../errors.js';
import { MIN_OUTPUT_TOKENS } from './cost-cap.js';
import { agentSettings } from './settings.js';

/** The system prompt and tool definitions, with room to spare (the bench measures ~1,000). */
const FIXED_TOKENS = 1500;
/** Characters a token at the least, for text from files (numbers and non-English words tokenize densely). */
const CHARS_PER_TOKEN = 3;

/** The tokens an answer keeps free: a quarter of the window, at most the usual max_tokens. */
function answerRoom(context: number): number {
  return Math.min(agentSettings.maxOutputTokens, Math.floor(context / 4));
}

/** Characters of file text one request may carry on this model; undefined when there is no small window. */
export function fileCharsFor(context: number | undefined, provider: string): number | undefined {
  if (!context) return undefined;
  const tokens = context - FIXED_TOKENS - answerRoom(context);
  if (tokens * CHARS_PER_TOKEN < 1000) {
    throw new UnrecoverableError(`provider ${provider}'s context of ${context} tokens is too small for the agent: its instructions and tools alone take about ${FIXED_TOKENS}, and an answer needs room`);
  }
  // The first request carries the file; later turns add to the conversation: half for the file.
  return Math.min(agentSettings.attachTextMaxChars, Math.floor((tokens * CHARS_PER_TOKEN) / 2));
}

/** max_tokens within the window, or the job stops with the reason when the conversation has outgrown it. */
export function fitContext(context: number | undefined, promptTokens: number, maxTokens: number, provider: string): number {
  if (!context) return maxTokens;
  const left = context - promptTokens;
  if (left < MIN_OUTPUT_TOKENS) {
    throw new UnrecoverableError(`stopped: the conversation (about ${promptTokens} tokens) no longer fits provider ${provider}'s context of ${context} tokens; use a model with a larger context for this rule`);
  }
  return Math.min(maxTokens, left);
}
