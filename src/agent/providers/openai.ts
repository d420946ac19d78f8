/**
 * OpenAI-compatible servers through the official `openai` client: Ollama, llama.cpp's server,
 * vLLM, LM Studio, LocalAI, OpenAI, Azure OpenAI, OpenRouter, Mistral, Gemini's compatible
 * endpoint. The official client because it is the one every such server tests against: typed
 * errors with status and headers (so retry / wait / fail is read off them as on the Anthropic
 * side), SSE streaming with tool-call deltas, per-request signal and timeout, any base URL.
 * Its own retries are off, as the Anthropic SDK's are: request.ts retries.
 */
import OpenAI from 'openai';
import { estimatePrompt } from '../cost-cap.js';
import type { Credentials } from '../credentials.js';
import type { Failure, ModelReply, ModelRequest, Provider, ProviderSettings, SendOptions, Supports } from '../provider.js';
import { agentSettings } from '../settings.js';
import { retryAfterMs } from './anthropic.js';
import { chatRequest } from './openai-request.js';
import { ChatReply } from './openai-reply.js';

/** What servers say when the model cannot call tools (Ollama: "... does not support tools"). */
const NO_TOOLS = /does not support tools|tools? (are|is) not supported|tool[_ ]?(use|calls?|choice).{0,40}not (supported|enabled)|unsupported.{0,20}tool/i;

/** A base64 image is billed by its size in pixels, not its bytes: about this many tokens. */
const IMAGE_TOKENS = 1600;

export class OpenAIProvider implements Provider {
  readonly api = 'openai';
  readonly name: string;
  readonly origin: string;
  readonly supports: Supports;
  readonly client: OpenAI;
  private readonly stream: boolean;

  constructor(settings: ProviderSettings, creds: Credentials) {
    this.name = settings.name;
    const baseURL = settings.base_url;
    this.origin = baseURL ? new URL(baseURL).origin : 'OpenAI API';
    this.supports = { tools: settings.tools, vision: settings.vision, pdf: false, context: settings.context };
    this.stream = settings.stream;
    this.client = new OpenAI({
      // A local server asks for no key, but the client wants one.
      apiKey: creds.kind === 'none' ? 'none' : creds.value,
      ...(baseURL ? { baseURL } : {}),
      maxRetries: 0,
      timeout: agentSettings.requestTimeoutMs,
      logLevel: 'off',
    });
  }

  async send(params: ModelRequest, opts: SendOptions): Promise<ModelReply> {
    const body = chatRequest(params);
    const reply = new ChatReply(params.model);
    const request = { signal: opts.signal, timeout: opts.timeoutMs, maxRetries: 0 };
    if (this.stream) {
      const stream = await this.client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, request);
      for await (const chunk of stream) {
        reply.chunk(chunk);
        opts.onProgress();
      }
    } else {
      reply.whole(await this.client.chat.completions.create(body, request));
    }
    return reply.message({ input: reply.hasUsage ? 0 : estimatePrompt(params) });
  }

  /** No server counts tokens: the characters, with each image at its usual cost rather than its base64. */
  countTokens(params: ModelRequest): Promise<number | undefined> {
    let images = 0;
    const light = JSON.parse(JSON.stringify(params.messages, (key, value: unknown) => {
      if (key === 'source' && value && typeof value === 'object' && (value as { type?: string }).type === 'base64') {
        images++;
        return { type: 'base64', data: '' };
      }
      return value;
    })) as ModelRequest['messages'];
    return Promise.resolve(estimatePrompt({ ...params, messages: light }) + images * IMAGE_TOKENS);
  }

  classify(err: unknown): Failure | undefined {
    if (err instanceof OpenAI.APIConnectionTimeoutError) return { kind: 'transient', message: 'the request timed out' };
    if (err instanceof OpenAI.APIUserAbortError) return undefined;
    if (err instanceof OpenAI.APIConnectionError) {
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { kind: 'transient', message: `could not reach ${this.origin}${cause}` };
    }
    if (err instanceof OpenAI.APIError) {
      const status = err.status;
      const said = (err.error as { message?: unknown } | undefined)?.message;
      const detail = typeof said === 'string' ? said : err.message;
      const what = `${status ? `HTTP ${status} ` : ''}${err.type ?? err.code ?? 'error'}${detail ? `: ${detail}` : ''}`;
      if (status === 401 || status === 403) return { kind: 'rejected', message: what, status };
      // No status: an error sent inside the stream, after the answer began.
      if (status === undefined) return { kind: 'transient', message: `${what} (mid-response)` };
      if (status === 408 || status === 409 || status === 429 || status >= 500) return { kind: 'transient', message: what, retryAfterMs: retryAfterMs(err.headers) };
      if (NO_TOOLS.test(detail)) {
        return { kind: 'fatal', message: `${what} — this model cannot call tools, which a do: rule needs; choose another model, or say \`tools: false\` for provider ${this.name} in config.yaml so \`rules check\` refuses it up front` };
      }
      return { kind: 'fatal', message: what };
    }
    // A connection dropped mid-stream reaches us as undici's TypeError ("terminated"), sometimes wrapped.
    const cause = err instanceof OpenAI.OpenAIError ? err.cause : err;
    if (cause instanceof TypeError || (err instanceof OpenAI.OpenAIError && /terminated|socket|closed|reset|network/i.test(err.message))) {
      return { kind: 'transient', message: `the response was cut off (${(cause as Error | undefined)?.message ?? 'connection lost'})` };
    }
    if (err instanceof OpenAI.OpenAIError) return { kind: 'fatal', message: err.message };
    return undefined;
  }

  async ping(model: string, signal: AbortSignal): Promise<void> {
    await this.client.chat.completions.create({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }, { signal, maxRetries: 0, timeout: 15_000 });
  }
}
