import { createHash } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import type { Resource } from '../plugins/authorize.js';
import { ClipParams, clipSessionId, errorResponses } from '../schemas/common.js';
import type { Clip } from '../schemas/clips.js';
import { sendClipFile } from '../services/clip-media.js';
import { openShareLink, shareKeyRing, shareQuery, SHARE_EXP_PATTERN, SHARE_SIG_PATTERN, type ShareRefusal } from '../services/share-links.js';
import { publicBase } from './shares.js';

const clipResource = (req: FastifyRequest): Resource => {
  const id = (req.params as { clipId: string }).clipId;
  return { type: 'clip', id, sessionId: clipSessionId(id) };
};

const linkFields = {
  exp: Type.String({ pattern: SHARE_EXP_PATTERN, description: 'When the link expires, unix seconds' }),
  sig: Type.String({ pattern: SHARE_SIG_PATTERN, description: 'HMAC-SHA256 of the link, base64url' }),
};
/** The media and thumbnail take the link's two fields and nothing else (the page writes their URLs itself). */
const LinkQuery = Type.Object(linkFields, { additionalProperties: false });
/**
 * The page also tolerates the fields that chat apps, mail and analytics append to links they pass on (Facebook adds
 * `fbclid` to every outgoing link): refusing them would break a shared link on its way. They are never used.
 */
const TRACKING_FIELD = '^(utm_[a-z_]{1,32}|fbclid|gclid|gbraid|wbraid|dclid|msclkid|igshid|mc_cid|mc_eid|ref|si)$';
const PageQuery = Type.Object(linkFields, {
  additionalProperties: false,
  patternProperties: { [TRACKING_FIELD]: Type.String({ maxLength: 512 }) },
  maxProperties: 16,
});

type Lang = 'en' | 'ko';
const STRINGS = {
  en: {
    clip: 'Shared clip',
    noVideo: 'This browser cannot play the video.',
    invalid: 'This link is not valid',
    expired: 'This link has expired',
    gone: 'This clip is no longer available',
    'not-ready': 'This clip is not ready yet. Try again in a moment.',
    forbidden: 'You are not allowed to watch this clip',
    busy: 'Too many requests. Try again in a minute.',
    error: 'The clip cannot be shown right now. Try again later.',
  },
  ko: {
    clip: '공유된 클립',
    noVideo: '이 브라우저에서는 동영상을 재생할 수 없습니다.',
    invalid: '유효하지 않은 링크입니다',
    expired: '만료된 링크입니다',
    gone: '더 이상 볼 수 없는 클립입니다',
    'not-ready': '클립이 아직 준비되지 않았습니다. 잠시 후 다시 시도하세요.',
    forbidden: '이 클립을 볼 권한이 없습니다',
    busy: '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
    error: '지금은 클립을 보여 드릴 수 없습니다. 나중에 다시 시도하세요.',
  },
} satisfies Record<Lang, Record<string, string>>;
type Message = Exclude<keyof (typeof STRINGS)['en'], 'clip' | 'noVideo'>;

/** The best of our languages by Accept-Language (q values honoured; English when neither is asked for). */
export function pickLang(header: string | undefined): Lang {
  let best: Lang = 'en';
  let bestQ = 0;
  for (const part of (header ?? '').slice(0, 512).split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(/^\s*q=([0-9.]{1,5})\s*$/.exec(params.find((p) => p.trim().startsWith('q=')) ?? 'q=1')?.[1] ?? 0);
    const lang = tag.split('-')[0];
    if ((lang === 'en' || lang === 'ko') && q > bestQ) [best, bestQ] = [lang, q];
  }
  return best;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text and attribute values alike. */
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
/** For a title and preview tags, which cannot isolate text: no control, bidi-control or line-separator characters. */
const plain = (s: string) => s.replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu, '').trim();

const CSS = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","Apple SD Gothic Neo",sans-serif}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;background:#111;color:#eee}
main{box-sizing:border-box;width:100%;max-width:960px;padding:env(safe-area-inset-top) max(12px,env(safe-area-inset-right)) 24px max(12px,env(safe-area-inset-left))}
video{display:block;width:100%;max-height:80vh;background:#000;border-radius:8px}
h1{font-size:clamp(1.1rem,4vw,1.6rem);margin:16px 0 4px;overflow-wrap:anywhere}
p{margin:0;color:#aaa}
.error{margin-top:30vh;text-align:center}
`;
/** The page runs no script at all; its one inline style is allowed by hash (data: for the empty icon, no /favicon.ico request). */
const CSP =
  `default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function page(lang: Lang, title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
${head}<style>${CSS}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

const minutes = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** The page of a ready clip; `base` is the absolute URL of its page without the query `q` (`exp=…&sig=…`). */
function watchPage(lang: Lang, clip: Clip, base: string, q: string, config: Services['config']): string {
  const t = STRINGS[lang];
  const urls = { page: `${base}?${q}`, media: `${base}/media?${q}`, thumbnail: `${base}/thumbnail?${q}` };
  const title = plain(clip.name) || t.clip;
  const [width, height] = config.clip.resolution.split('x');
  const meta = (key: 'property' | 'name', k: string, v: string) => `<meta ${key}="${k}" content="${esc(v)}">\n`;
  const head =
    meta('property', 'og:type', 'video.other') +
    meta('property', 'og:title', title) +
    meta('property', 'og:url', urls.page) +
    meta('property', 'og:image', urls.thumbnail) +
    meta('property', 'og:video', urls.media) +
    (urls.media.startsWith('https:') ? meta('property', 'og:video:secure_url', urls.media) : '') +
    meta('property', 'og:video:type', 'video/mp4') +
    meta('property', 'og:video:width', width) +
    meta('property', 'og:video:height', height) +
    (clip.duration >= 1 ? meta('property', 'video:duration', String(Math.round(clip.duration))) : '') +
    meta('name', 'twitter:card', 'summary_large_image') +
    meta('name', 'twitter:title', title) +
    meta('name', 'twitter:image', urls.thumbnail);
  // Relative: the media and poster come from wherever the page was served, whatever PUBLIC_URL says.
  const rel = (kind: string) => `${encodeURIComponent(clip.id)}/${kind}?${q}`;
  const body =
    `<video controls playsinline preload="metadata" poster="${esc(rel('thumbnail'))}" src="${esc(rel('media'))}">${esc(t.noVideo)}</video>\n` +
    `<h1 dir="auto">${esc(clip.name || t.clip)}</h1>\n<p>${minutes(clip.duration)}</p>`;
  return page(lang, title, head, body);
}

const STATUS: Record<ShareRefusal, number> = { gone: 404, invalid: 403, expired: 403, 'not-ready': 409 };
const CODES: Record<ShareRefusal, string> = {
  gone: 'OV_CLIP_NOT_FOUND',
  invalid: 'OV_SHARE_LINK_INVALID',
  expired: 'OV_SHARE_LINK_EXPIRED',
  'not-ready': 'OV_CLIP_NOT_READY',
};

/** An error of the page route as a status and one of the page's messages. */
function pageError(err: Error & { statusCode?: number; validation?: unknown; code?: string }): [number, Message] {
  if (err instanceof ApiError && err.code === 'OV_FORBIDDEN') return [403, 'forbidden'];
  const refusal = (Object.keys(CODES) as ShareRefusal[]).find((r) => err instanceof ApiError && err.code === CODES[r]);
  if (refusal) return [STATUS[refusal], refusal];
  if (err.statusCode === 429) return [429, 'busy'];
  if (err.validation || (err.statusCode && err.statusCode < 500)) return [400, 'invalid'];
  return [err instanceof ApiError && err.statusCode >= 500 ? err.statusCode : 500, 'error'];
}

function pageHeaders(reply: FastifyReply) {
  return reply
    .header('Content-Security-Policy', CSP)
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Robots-Tag', 'noindex, nofollow')
    .header('Vary', 'Accept-Language')
    .type('text/html; charset=utf-8');
}

/** The public watch page of a share link, and the clip's media and thumbnail through the same link. */
export const watchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const ring = await shareKeyRing(services);
  // Per client address. The page costs a call to OpenVidu: 2x the API limit lets a room's worth of people behind one
  // NAT open a link at once. A player makes several Range requests per viewer (metadata, then each seek): 20x.
  const perMinute = (n: number) => ({ max: services.config.rateLimitPerMinute * n, timeWindow: '1 minute' });

  /** The clip of the request's link, or the ApiError saying why not. */
  const clipOf = async (clipId: string, query: { exp: string; sig: string }) => {
    const opened = await openShareLink(services, ring, { clipId, exp: Number(query.exp), sig: query.sig }, Date.now());
    if ('clip' in opened) return opened.clip;
    const r = opened.refused;
    throw new ApiError(STATUS[r], CODES[r], STRINGS.en[r]);
  };

  app.get('/watch/:clipId', {
    schema: {
      summary: "A share link's public watch page (HTML)",
      description:
        'Plays the clip (and its trim) with no account, with Open Graph and Twitter card tags for link previews. English or Korean by ' +
        'Accept-Language. Errors are HTML pages for a browser (Accept: text/html), JSON errors otherwise: 400 malformed link, 403 altered or expired, 404 clip deleted, 409 not ready. ' +
        'Besides `exp` and `sig`, only tracking fields (utm_*, fbclid, gclid…) are accepted, and ignored.',
      tags: ['share'],
      params: ClipParams,
      querystring: PageQuery,
      // Errors: an HTML page for a browser (Accept: text/html), the JSON error of every route for anything else.
      response: { 200: Type.String({ description: 'HTML' }), ...errorResponses(400, 403, 404, 409, 429, 502, 503) },
    },
    config: { action: 'share:watch', resource: clipResource, rateLimit: perMinute(2) },
    errorHandler: (err, request, reply) => {
      // A program (a link checker, a preview fetcher asking for JSON) gets the API's JSON error from the app's handler.
      if (!/\btext\/html\b/.test(request.headers.accept ?? '')) throw err;
      const [status, message] = pageError(err);
      if (status >= 500) request.log.error({ err }, 'watch page failed');
      const lang = pickLang(request.headers['accept-language']);
      const text = STRINGS[lang][message];
      void pageHeaders(reply)
        .code(status)
        .header('Cache-Control', 'no-store')
        .send(page(lang, text, '', `<p class="error" role="alert">${esc(text)}</p>`));
    },
    handler: async (request, reply) => {
      const clip = await clipOf(request.params.clipId, request.query);
      const base = `${publicBase(request)}/watch/${encodeURIComponent(clip.id)}`;
      const q = shareQuery(Number(request.query.exp), request.query.sig); // without any tracking field
      const lang = pickLang(request.headers['accept-language']);
      // Not stored: a revoked link, a rename or a new trim shows at the next visit.
      return pageHeaders(reply)
        .header('Cache-Control', 'no-store')
        .send(watchPage(lang, clip, base, q, services.config));
    },
  });

  for (const kind of ['media', 'thumbnail'] as const) {
    app.get(`/watch/:clipId/${kind}`, {
      schema: {
        summary: kind === 'media' ? "A share link's video (MP4; Range supported)" : "A share link's thumbnail (JPEG)",
        description: 'The same `exp` and `sig` as the watch page, checked the same way; errors are JSON.',
        tags: ['share'],
        params: ClipParams,
        querystring: LinkQuery,
        response: errorResponses(400, 403, 404, 409, 416, 429, 502, 503),
      },
      config: { action: 'share:watch', resource: clipResource, rateLimit: perMinute(kind === 'media' ? 20 : 2) },
      handler: async (request, reply) => {
        const clip = await clipOf(request.params.clipId, request.query);
        // Chat apps and link previews may show these from their own origin: the signed URL is the permission.
        reply.header('Cross-Origin-Resource-Policy', 'cross-origin').header('X-Robots-Tag', 'noindex').header('Referrer-Policy', 'no-referrer');
        return sendClipFile(services, request, reply, clip, kind);
      },
    });
  }
};
