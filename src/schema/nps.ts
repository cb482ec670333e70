import type { NpsScore } from '../upstreams/index.js';
import { builder } from './builder.js';

export const NpsScoreRef = builder.objectRef<NpsScore>('NpsScore').implement({
  description: "A user's latest Net Promoter Score answer (NPS service).",
  fields: (t) => ({
    score: t.exposeInt('score', { description: '0..10' }),
    respondedAt: t.exposeString('respondedAt', { description: 'ISO-8601 UTC.' }),
  }),
});
